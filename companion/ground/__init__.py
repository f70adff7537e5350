"""The grounding session (`companion ground`): the flow, and its content read in the shell."""
