"""Running Atrium: health, backups and restores, rebasing, sweeps, periodic work and statistics."""
