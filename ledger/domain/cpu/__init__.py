"""The Belgian CPU regime (AGCF 29 August 2018): options, learners, UAA, attestations, CQ."""
