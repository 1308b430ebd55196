"""techsafe: find what an abuser can use to watch, follow or control a survivor."""

__version__ = "0.1.0"
