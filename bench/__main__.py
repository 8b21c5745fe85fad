"""``python -m bench``: the benchmark suite (:mod:`bench.run`)."""

from bench.run import main

raise SystemExit(main())
