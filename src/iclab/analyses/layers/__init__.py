"""Where ICL happens (Sia et al.): context masking from layer L, layer sweeps and the compute saved."""
