"""Analysis over result files only: CoT word frequencies, paper tables, plots, HTML report."""
