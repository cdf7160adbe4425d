"""`python -m avspnet` (and `torchrun -m avspnet pretrain ...`) run the CLI."""

import sys

from .cli import main

sys.exit(main())
