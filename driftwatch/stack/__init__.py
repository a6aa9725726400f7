"""The whole system on one machine: supervised processes, demos, the scenario publisher, control.

``driftwatch up`` writes the stack's plan under ``$DRIFTWATCH_HOME/run/`` and starts a supervisor
process that owns every service (Redis when none answers, the API, the monitor, the agents); the
supervisor restarts a crashed service with backoff and records pids with their start times, so
``driftwatch down`` stops what ``up`` started and nothing else.
"""
