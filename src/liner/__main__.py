from liner.cli import main

raise SystemExit(main())
