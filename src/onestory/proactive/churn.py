"""Where churn models saved before the split into ``churn_*`` modules find their functions.

A saved ``model.joblib`` pickles the pipelines' ``FunctionTransformer`` functions by module
path, and models written before the split point here. New code imports from
:mod:`~onestory.proactive.churn_features`, :mod:`~onestory.proactive.churn_model`,
:mod:`~onestory.proactive.churn_explain` and :mod:`~onestory.proactive.churn_telco`.
"""

from onestory.proactive.churn_model import _as_float, _with_logs

__all__ = ["_as_float", "_with_logs"]
