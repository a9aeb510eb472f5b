//! Rating math for ic-server (Glicko-2 and alternatives); filled in by the ranking issue.
