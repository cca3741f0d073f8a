"""GenEval (Ghosh et al. 2023): object-detection checks of single objects, pairs, counts, colours, positions
and colour binding; overall = unweighted mean of the six task accuracies."""
