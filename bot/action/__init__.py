"""The GitHub Action's front end (`action.yml` runs `ssot-bot action`)."""
