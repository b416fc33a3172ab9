"""ICL learns label relationships (Kossen et al.): per-position label curves under label settings."""
