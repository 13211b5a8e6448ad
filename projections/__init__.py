"""Read models built from the event log by the follower (learner dossier, statistics, histories)."""
