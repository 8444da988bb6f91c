#!/usr/bin/env python3
"""Command line of the Timestream for InfluxDB catalog: ``tooling.cli`` (run ``build.py --help``)."""

import sys

from tooling.cli import main

if __name__ == "__main__":
    sys.exit(main())
