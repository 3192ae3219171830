from graph_mtl.modules.aggregators.attention import (  # noqa: F401
    AdditiveScorer,
    MeanAggregator,
    PositionAttentionAggregator,
    SourceAttentionAggregator,
)
