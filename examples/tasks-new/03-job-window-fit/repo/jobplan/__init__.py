from jobplan.graph import CycleError, JobGraph
from jobplan.schedule import Assignment, Scheduler, ScheduleError

__all__ = ["CycleError", "JobGraph", "Assignment", "Scheduler", "ScheduleError"]
