"""The Dreamfeed application: config, app factory, handlers, services, jobs and CLI."""

__version__ = "0.1.0"
SOFTWARE_NAME = "dreamfeed"
