"""Duplicates (DU3xx): changed code that copies code already in the repository.

`tokens` turns a parsed file into path-independent facts (a normalised token stream and
its winnowed fingerprints, cached by content hash by the engine); `matching` finds clones
of changed tokens among every file's facts; `check` turns them into findings.
"""

from analyzers.duplicates.du301_duplicated_block import DuplicatedBlock
from analyzers.duplicates.du302_similar_block import SimilarBlock
from analyzers.duplicates.du303_duplicated_function import DuplicatedFunction
from analyzers.rule import RuleMeta

RULES: tuple[type[RuleMeta], ...] = (DuplicatedBlock, SimilarBlock, DuplicatedFunction)
