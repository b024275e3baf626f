import sys

from dra.cli import main

sys.exit(main())
