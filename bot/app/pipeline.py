"""One audit job end to end: check run in progress, change set, audit, publish.

Data flow: the PR at its current head -> `SSOT audit` check run `in_progress` -> config at
the **base** sha (a PR cannot weaken its own gate) -> drafts stop here with `neutral` ->
PR files (patches give the changed lines), head blobs by sha, base tarball -> audit in
the process pool, without fixes -> re-read the head -> check run completed (the verdict)
-> the same audit again with its fixes (libcst; its files' facts come from the store the
first pass filled) -> sticky comment -> the review's inline comments (`review.py`; best
effort: the check already has the verdict). The report can hold SX010 notes (fixes that
could not be made) that the check, concluded before the fixes, does not.

Invariant: a check run this module starts is always completed: `success`/`failure` from
the verdict, `neutral` for drafts and superseded heads, `cancelled` when shutdown
interrupts the audit, and `failure` titled
"SSOT audit could not complete" when anything in between raises; that check names a
reference that is also in the log and the Sentry event, never the exception's text.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import replace

from analyzers.config import CONFIG_FILES, InlineComments, load_config
from analyzers.engine import is_python
from analyzers.model import AuditResult, ChangeStatus
from bot import metrics
from bot.app import sentry
from bot.app.audit_process import AuditWork, ChangedFile, run_audit
from bot.app.jobs import AuditCrashedError, AuditJob, AuditPool, JobQueue
from bot.app.review import ReviewPlan, plan_review
from bot.github.payloads import PullFile, PullRequest
from bot.github.publish import publish_check_run, publish_comment
from bot.github.rest import MAX_PULL_FILES, GitHubApp, Installation
from bot.github.transport import GitHubUnavailableError
from bot.report import CheckRunOutput

logger = logging.getLogger(__name__)

COULD_NOT_COMPLETE = "SSOT audit could not complete"
DEFAULT_CONFIG_PATH = CONFIG_FILES[-1]


class Pipeline:
    """Runs `AuditJob`s; given to the queue as its runner."""

    def __init__(self, github: GitHubApp, pool: AuditPool, queue: JobQueue) -> None:
        self.github = github
        self.pool = pool
        self.queue = queue

    async def __call__(self, job: AuditJob) -> None:
        gh = self.github.installation(job.installation)
        pull = await gh.pull(job.repo, job.number)
        if pull.head_sha != job.head_sha or pull.state != "open":
            logger.info("audit skipped: pull request moved on", extra={
                **job.log_context(), "current_head": pull.head_sha, "state": pull.state})
            if job.attempt > 1:
                await _conclude_orphan(gh, job, pull)
            if pull.state == "open":
                # Deliveries can arrive out of order: an older head may have displaced
                # the current one from the queue. Make sure the current head gets a
                # result; one queued, running or just audited for that head absorbs this
                # (not forced: forcing would audit and publish a finished head twice).
                await self.queue.submit(replace(
                    job, head_sha=pull.head_sha, reason="catch-up", force=False, attempt=1))
            return
        check_run = await gh.start_check_run(job.repo, job.head_sha, resume=job.attempt > 1)
        started = time.monotonic()
        verdict = metrics.VERDICT_COULD_NOT_COMPLETE
        try:
            verdict = await self._audit(gh, job, pull, check_run)
        except asyncio.CancelledError:
            # Shutdown (SIGTERM) stopped the audit; cancellation is no `Exception`, and a
            # check left `in_progress` would hold a required check forever.
            verdict = metrics.VERDICT_CANCELLED
            await _conclude_interrupted(gh, job, check_run)
            raise
        except Exception as exc:
            # Logged (and so sent to Sentry) here, under the reference the check run
            # shows, and not raised on: the queue would report the same failure again.
            reference = uuid.uuid4().hex[:12]
            with sentry.tags(reference=reference):
                logger.exception("audit could not complete", extra={
                    **job.log_context(), "check_run": check_run, "reference": reference})
            await _conclude_crashed(gh, job, check_run, exc, reference)
        finally:
            metrics.AUDITS.labels(verdict=verdict).inc()
            metrics.AUDIT_SECONDS.observe(time.monotonic() - started)

    async def conclude_dropped(self, job: AuditJob) -> None:
        """A queued job that will not run (the process is stopping): give its head a
        `cancelled` check with a Re-run button, so the PR shows it was not audited
        instead of waiting for a check that never comes."""
        gh = self.github.installation(job.installation)
        check_run = await gh.start_check_run(job.repo, job.head_sha, resume=True)
        await _conclude_interrupted(gh, job, check_run)
        metrics.AUDITS.labels(verdict=metrics.VERDICT_CANCELLED).inc()

    async def conclude_given_up(self, job: AuditJob) -> None:
        """A job whose workers died on every attempt (Redis mode) is not run again: its
        check, left `in_progress` by the dead attempts, concludes `failure`."""
        gh = self.github.installation(job.installation)
        check_run = await gh.start_check_run(job.repo, job.head_sha, resume=True)
        await gh.complete_check_run(job.repo, check_run, "failure", CheckRunOutput(
            title=COULD_NOT_COMPLETE,
            summary=f"Every worker that audited `{job.head_sha[:12]}` died "
                    f"({job.attempt - 1} attempt{'' if job.attempt == 2 else 's'}: out of "
                    "memory, or a crash on this input), so the audit was given up and this "
                    "check cannot pass.\n\n"
                    "Use **Re-run** to try again, or comment `/ssot recheck`.",
            text="", annotations=[],
        ))
        metrics.AUDITS.labels(verdict=metrics.VERDICT_COULD_NOT_COMPLETE).inc()

    async def _audit(self, gh: Installation, job: AuditJob, pull: PullRequest,
                     check_run: int) -> str:
        """Audit and publish; the verdict it concluded, as `metrics.AUDITS` counts it."""
        found = await gh.first_file_at(job.repo, CONFIG_FILES, pull.base_sha)
        config_path, config_text = (
            (found[0], found[1].decode("utf-8", "replace")) if found
            else (DEFAULT_CONFIG_PATH, None)
        )
        config, _problems = load_config(config_text, config_path)
        if pull.draft and not config.audit_drafts:
            await gh.complete_check_run(job.repo, check_run, "neutral", CheckRunOutput(
                title="Draft: the SSOT audit runs when the pull request is ready for review",
                summary="Drafts are not audited. Mark the pull request ready for review, or "
                        "set `audit-drafts = true` under `[tool.ssot]` on the base branch.",
                text="", annotations=[],
            ))
            logger.info("draft not audited", extra=job.log_context())
            return metrics.VERDICT_DRAFT
        work = await gather_work(gh, pull, config_text, config_path,
                                 max_file_bytes=config.max_file_bytes)
        inline = config.inline_comments is not InlineComments.OFF
        # The verdict first: fixes never change it, and libcst on the changed files can
        # take seconds (most of a warm audit), so they come in a second pass, for the
        # review and the comment only.
        result = await self.pool.run(run_audit, replace(work, fixes=False))
        if not await self._current(gh, job, check_run):
            return metrics.VERDICT_SUPERSEDED
        await publish_check_run(gh, job.repo, check_run, job.head_sha, result, work.unaudited)
        logger.info("audit concluded", extra={
            **job.log_context(), "verdict": str(result.verdict),
            "findings": result.stats.findings, "seconds": result.stats.seconds})
        review = None
        if inline:
            # The report has the fixes, and SX010 notes on the fixes that could not be
            # made; the check, which concluded without them, has the same verdict.
            result = await self._with_fixes(job, work, result)
            if (await gh.pull(job.repo, job.number)).head_sha != job.head_sha:
                # Pushed to during the fixes: the newer head's audit writes the comment.
                logger.info("stale report dropped", extra=job.log_context())
                return str(result.verdict)
            existing = await gh.review_comments(job.repo, job.number)
            review = plan_review(result, work.files, config.inline_comments, existing,
                                 job.head_sha)
        await publish_comment(gh, job.repo, job.number, job.head_sha, result, work.unaudited,
                              one_click=review.one_click if review else 0,
                              mode=config.comment)
        logger.info("audit published", extra={
            **job.log_context(), "verdict": str(result.verdict),
            "findings": result.stats.findings, "seconds": result.stats.seconds})
        if review is not None:
            await _publish_review(gh, job, review)
        return metrics.VERDICT_NOT_FULLY_AUDITED if work.unaudited else str(result.verdict)

    async def _current(self, gh: Installation, job: AuditJob, check_run: int) -> bool:
        """Whether the job's head is still the PR's; if not, its check concludes neutral.
        GitHub's head decides, not the queue's newest submission: an older head
        delivered late must not make the current head's result look stale."""
        current = await gh.pull(job.repo, job.number)
        if current.head_sha == job.head_sha:
            return True
        await gh.complete_check_run(job.repo, check_run, "neutral",
                                    superseded(current.head_sha))
        logger.info("stale result dropped", extra={
            **job.log_context(), "current_head": current.head_sha})
        return False

    async def _with_fixes(self, job: AuditJob, work: AuditWork, result: AuditResult
                          ) -> AuditResult:
        """The audit again with its fixes: the same request, so its files' analyses and
        facts come from the store the first pass filled. When this pass crashes or runs
        out of time, the findings go without fixes (the verdict is already out)."""
        try:
            fixed = await self.pool.run(run_audit, work)
        except AuditCrashedError:
            logger.exception("fixes could not be computed", extra=job.log_context())
            return result
        if fixed.verdict is not result.verdict:
            # Cannot happen (a fix or an SX010 note never blocks); if it did, the check
            # already says the first pass's verdict, and the report must agree with it.
            logger.error("the fixes' pass reached another verdict", extra=job.log_context())
            return result
        return fixed


async def _publish_review(gh: Installation, job: AuditJob, review: ReviewPlan) -> None:
    """Post the new inline comments as one review, then mark or delete the comments of
    findings that are gone. The check run already carries the verdict, so a failure here
    is logged (with a reference, like a crashed audit) and costs only the review."""
    try:
        if review.new:
            await gh.create_review(job.repo, job.number, job.head_sha, review.body,
                                   review.new)
        for comment_id, body in review.resolved:
            await gh.edit_review_comment(job.repo, comment_id, body)
        for comment_id in review.deleted:
            await gh.delete_review_comment(job.repo, comment_id)
    except Exception:
        reference = uuid.uuid4().hex[:12]
        with sentry.tags(reference=reference):
            logger.exception("review could not be published", extra={
                **job.log_context(), "reference": reference})
        return
    logger.info("review published", extra={
        **job.log_context(), "new_comments": len(review.new),
        "resolved": len(review.resolved), "deleted": len(review.deleted),
        "left_out": review.left_out})


async def gather_work(gh: Installation, pull: PullRequest, config_text: str | None,
                      config_path: str, *, max_file_bytes: int) -> AuditWork:
    """The change set: changed Python files at head (blobs by sha), the base tarball as
    context, and what could not be fetched as notes for the report. A head file over
    `max_file_bytes` by the size in the head's tree is never downloaded (the audit would
    not read it either; its SX003 finding says so)."""
    files = await gh.pull_files(pull.repo, pull.number)
    notes: list[str] = []
    unaudited: list[str] = []
    if pull.changed_files > len(files):
        unaudited.append(
            f"GitHub lists at most {MAX_PULL_FILES:,} files of a pull request; "
            f"{pull.changed_files - len(files):,} changed files were not audited."
        )
    python = [f for f in files if is_python(f.path) or (f.old_path and is_python(f.old_path))]
    sizes = await gh.blob_sizes(pull.repo, pull.head_sha) if python else {}
    # Never downloaded: the engine's SX003 finding (an error unless the config relaxes
    # it) says the file was not audited, from its size alone.
    oversized = tuple(
        ChangedFile(path=f.path, status=f.status, head=None, patch=f.patch,
                    old_path=f.old_path, head_size=sizes[f.path])
        for f in python if sizes.get(f.path, 0) > max_file_bytes)
    python = [f for f in python if sizes.get(f.path, 0) <= max_file_bytes]
    heads, archive = await asyncio.gather(
        asyncio.gather(*(_head(gh, pull.repo, f) for f in python)),
        gh.archive(pull.repo, pull.base_sha),
    )
    missing = [f.path for f, head in zip(python, heads, strict=True)
               if head is None and f.status is not ChangeStatus.DELETED]
    if missing:
        unaudited.append(f"{len(missing)} changed Python file(s) could not be fetched: "
                         + ", ".join(f"`{path}`" for path in missing[:5]) + ".")
    bases: list[bytes | None] = [None] * len(python)
    if archive is None:
        notes.append("The repository is too large to fetch as one archive; it was audited "
                     "without the rest of the repository as context.")
        bases = list(await asyncio.gather(*(_base(gh, pull, f) for f in python)))
    changed = oversized + tuple(
        ChangedFile(path=f.path, status=f.status, head=head, patch=f.patch,
                    old_path=f.old_path, base=base)
        for f, head, base in zip(python, heads, bases, strict=True)
    )
    facts_dir = gh.app.settings.facts_dir
    return AuditWork(changed, archive, config_text, config_path, tuple(notes),
                     tuple(unaudited),
                     max_inflated_bytes=gh.app.settings.max_inflated_archive_bytes,
                     facts_dir=None if facts_dir is None else str(
                         facts_dir / pull.repo.lower().replace("/", "+")))


async def _head(gh: Installation, repo: str, changed: PullFile) -> bytes | None:
    if changed.blob_sha is None:
        return None
    return await gh.blob(repo, changed.blob_sha)


async def _base(gh: Installation, pull: PullRequest, changed: PullFile) -> bytes | None:
    if changed.status is ChangeStatus.ADDED:
        return None
    return await gh.file_at(pull.repo, changed.old_path or changed.path, pull.base_sha)


def superseded(current_head: str) -> CheckRunOutput:
    return CheckRunOutput(
        title=f"Superseded by {current_head[:7]}",
        summary="The pull request's head moved on while this commit was audited; "
                "the newer head is audited instead.",
        text="", annotations=[],
    )


async def _conclude_orphan(gh: Installation, job: AuditJob, pull: PullRequest) -> None:
    """A dead worker's check run on a head that is no longer audited must not stay in
    progress: conclude it `neutral`, as the audit would have."""
    found = await gh.our_check_run(job.repo, job.head_sha)
    if found is None or found[1]:
        return
    output = superseded(pull.head_sha) if pull.head_sha != job.head_sha else CheckRunOutput(
        title="Not audited: the pull request is closed",
        summary="The pull request was closed before its audit finished.",
        text="", annotations=[])
    await gh.complete_check_run(job.repo, found[0], "neutral", output)


INTERRUPTED = CheckRunOutput(
    title="SSOT audit interrupted: the server stopped",
    summary="The audit of this commit was stopped or never started because the server "
            "shut down, so this check cannot pass. Use **Re-run** to audit it, or "
            "comment `/ssot recheck`.",
    text="", annotations=[],
)
INTERRUPT_TIMEOUT = 10.0
"""Seconds shutdown waits for GitHub to take an interrupted check's conclusion."""


async def _conclude_interrupted(gh: Installation, job: AuditJob, check_run: int) -> None:
    try:
        async with asyncio.timeout(INTERRUPT_TIMEOUT):
            await gh.complete_check_run(job.repo, check_run, "cancelled", INTERRUPTED)
    except Exception:
        logger.exception("could not conclude an interrupted check run", extra={
            **job.log_context(), "check_run": check_run})
    else:
        logger.warning("audit interrupted by shutdown; check cancelled", extra={
            **job.log_context(), "check_run": check_run})


def public_reason(exc: Exception, reference: str) -> str:
    """What the check run may say about a failure. Only our own sentences for the
    failures we expect (the audit process died or ran too long; GitHub did not answer)
    are shown; any other exception's text (URLs, response bodies, paths, values from
    the audited code) stays in the log and Sentry, found there by `reference`."""
    if isinstance(exc, AuditCrashedError | GitHubUnavailableError):
        return f"{exc} (reference `{reference}`)"
    return f"an internal error (reference `{reference}`)"


async def _conclude_crashed(gh: Installation, job: AuditJob, check_run: int,
                            exc: Exception, reference: str) -> None:
    """Never leave the check in progress: conclude `failure` with a reason fit to
    publish."""
    try:
        await gh.complete_check_run(job.repo, check_run, "failure", CheckRunOutput(
            title=COULD_NOT_COMPLETE,
            summary=f"The audit of `{job.head_sha[:12]}` failed before it reached a "
                    f"verdict, so this check cannot pass.\n\nReason: "
                    f"{public_reason(exc, reference)}\n\n"
                    "Use **Re-run** to try again, or comment `/ssot recheck`.",
            text="", annotations=[],
        ))
    except Exception:
        logger.exception("could not conclude a crashed check run", extra={
            **job.log_context(), "check_run": check_run})
