"""The control plane: Sentinel, Planner and Release.

Each agent is pure decision logic (``*_logic.py``, ``release_gates.py``: typed input, state and
policy in, a typed result out, no I/O) wrapped by a thin FastStream consumer that loads state,
calls the logic and publishes. Keeping the decisions pure is what lets ``driftwatch replay`` rerun
them over recorded events under another policy.
"""
