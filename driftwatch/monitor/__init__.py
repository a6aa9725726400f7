"""Windows of prediction batches -> Evidently drift + label-based performance -> summaries.

Public entry points:

- ``monitor.service.create_app(settings)``: the ``monitor`` consumer group plus the window
  closer, as a FastStream app (``driftwatch monitor run``).
- ``monitor.assess.Reference.build(frame)`` and ``monitor.assess.judge_window(...)``: judge one
  window in-process, without Redis (``driftwatch monitor check``, benches, other parts' tests).
- ``monitor.closer.WindowCloser.step()``: close and re-score due windows once, in-process.
"""
