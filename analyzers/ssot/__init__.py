"""Single source of truth (SS2xx): is what this change creates already somewhere else?

`index.module_facts` is the "ssot" fact family (per-file, cached by content hash);
`check.check_ssot` runs the cross-file rules over a `repo.RepoIndex`; SS206 and SS207
look at one file only, so they are ordinary file rules."""

from analyzers.rule import FileRule
from analyzers.ssot.ss206_shared_mutable_state import SharedMutableState
from analyzers.ssot.ss207_mock_in_real_tests import MockInRealTests

FILE_RULES: tuple[type[FileRule], ...] = (SharedMutableState, MockInRealTests)
