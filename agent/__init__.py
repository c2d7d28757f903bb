"""dagent.agent."""
