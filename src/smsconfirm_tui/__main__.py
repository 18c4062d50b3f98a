import sys

from smsconfirm_tui.cli import main

sys.exit(main())
