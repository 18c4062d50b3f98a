"""One module per ``smsconfirm`` subcommand.

Each module has ``register(subparsers)``, which adds its parser and sets
``handler`` to a function that takes the parsed arguments and returns the
exit code.
"""

from smsconfirm_tui.commands import app, check, demo_gateway, explain, send, sync

COMMAND_MODULES = [app, sync, check, explain, send, demo_gateway]
