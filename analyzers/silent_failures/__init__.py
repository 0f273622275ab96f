"""Silent failures (SF1xx): errors swallowed without a trace."""

from analyzers.rule import FileRule
from analyzers.silent_failures.sf101_bare_except import BareExceptSwallowed
from analyzers.silent_failures.sf102_broad_except import BroadExceptSwallowed
from analyzers.silent_failures.sf103_narrow_except_pass import NarrowExceptPassed
from analyzers.silent_failures.sf104_suppress_broad import SuppressBroadException
from analyzers.silent_failures.sf105_broad_except_quiet_log import BroadExceptLoggedQuietly
from analyzers.silent_failures.sf106_finally_swallows import FinallySwallowsException
from analyzers.silent_failures.sf107_fire_and_forget_task import FireAndForgetTask
from analyzers.silent_failures.sf108_error_log_without_traceback import (
    BroadExceptLoggedWithoutTraceback,
)

RULES: tuple[type[FileRule], ...] = (
    BareExceptSwallowed,
    BroadExceptSwallowed,
    NarrowExceptPassed,
    SuppressBroadException,
    BroadExceptLoggedQuietly,
    FinallySwallowsException,
    FireAndForgetTask,
    BroadExceptLoggedWithoutTraceback,
)
