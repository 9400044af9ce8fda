"""rxsim: an event-driven e-prescription interoperability simulator."""

__version__ = "0.1.0"
