"""What a failed paged read says: how much was read (and written), up to where, and the predicate of the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_commercetools.commercetools.reading.concurrent import RangeProgress
from airflow_provider_commercetools.commercetools.reading.modified_order import MODIFIED_SPACE
from airflow_provider_commercetools.commercetools.reading.pages import Page
from airflow_provider_commercetools.commercetools.reading.predicates import parse_sort

if TYPE_CHECKING:
    from airflow_provider_commercetools.commercetools.reading.plan import ReadPlan


def resume_note(plan: ReadPlan, last: Page, output: str | None) -> str:
    """What a sequential paged read that failed after ``last`` did, did not do, and how to finish it."""
    done = f"{last.entities_so_far:,} {plan.what} entities ({last.number} pages)"
    done += f" were written to {output!r}" if output is not None else " were read but not returned (the task failed)"
    after = plan.strategy.resume_predicate(parse_sort(plan.query.get("sort")), last) if plan.strategy else None
    if after is None:
        return (
            f"Export incomplete: the first {done}; the rest was not read. "
            f"{(plan.strategy.name if plan.strategy else 'this').capitalize()} paging cannot resume where it "
            "stopped: run the task again to read everything"
        )
    upto = (
        MODIFIED_SPACE.describe_after(MODIFIED_SPACE.key(last.results[-1]))
        if plan.order == "modified"
        else f"id {last.last_id!r}"
    )
    return (
        f"Export incomplete: {done}, up to {upto}; the entities after it were not read. "
        f"Run the task again to read everything{WHOLE if output else ''}, or resume: "
        f"add the predicate {after!r} to query['where'] (it is ANDed with the rest of the query)"
        + (" and write to another output_path, then use both files" if output else "")
    )


def concurrent_note(plan: ReadPlan, output: str | None) -> str:
    """Per id range: what was received, up to which id, and the predicate of the rest."""
    assert plan.concurrent is not None
    ranges = plan.concurrent.progress()
    total = sum(r.delivered for r in ranges)
    where = f" were written to {output!r}" if output is not None else " were read but not returned (the task failed)"
    complete = [r for r in ranges if r.complete]
    incomplete = [r for r in ranges if not r.complete]
    lines = [_range_state(r) for r in incomplete]
    rest = " or ".join(f"({p})" for p in (r.remaining_predicate() for r in incomplete) if p)
    text = (
        f"Export incomplete: {total:,} {plan.what} entities{where}, read by {len(ranges)} {plan.ranges_name} "
        f"({len(complete)} complete, the file holds each range's entities in "
        f"{'lastModifiedAt' if plan.order == 'modified' else 'id'} order up to the one named): "
        + "; ".join(lines)
        + f". Run the task again to read everything{WHOLE if output else ''}"
    )
    if rest:
        text += f", or resume: add the predicate {rest!r} to query['where'] (the {plan.ranges_name} not read yet)" + (
            " and write to another output_path, then use both files" if output else ""
        )
    return text


#: What running a failed export again does to its file (the failed run's lines stay in its partial file).
WHOLE = " (a complete run writes output_path whole)"


def _range_state(progress: RangeProgress) -> str:
    state = "failed here, " if progress.failed else ""
    if progress.delivered_after is None:
        return f"{progress.describe()}: {state}nothing read"
    return f"{progress.describe()}: {state}read up to {progress.describe_after()} ({progress.delivered:,} entities)"
