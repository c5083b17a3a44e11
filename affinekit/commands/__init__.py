"""The `affinekit` subcommands, one module each: `main(args)` checks the command's options, then
calls the library. `affinekit.cli` parses the command line and dispatches here; nothing in the
library imports this package."""
