from .window import Reading, SensorWindow, clamp, summarize_readings

__all__ = ["Reading", "SensorWindow", "clamp", "summarize_readings"]
