"""Temporal activities: thin adapters from each workflow's Input/Result types to one service function each.

`cycle` (`CycleActivities`) for the billing cycle, `correction` (`CorrectionActivities`) for a correction,
`schedule` (`ScheduleActivities`) for the monthly kickoff; `errors` turns a DomainError into an ApplicationError.
"""

__all__ = ["correction", "cycle", "errors", "schedule"]
