"""smsconfirm: the daily SMS appointment-confirmation routine for Swiss salons."""

__version__ = "0.1.0"
