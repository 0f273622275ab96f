"""The local front end: `ssot-bot audit` on a git repository (git, the facts cache,
fixes written to the working tree). Imports nothing of the App, GitHub or Redis."""
