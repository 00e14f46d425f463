"""Domain errors: each names the rule that was broken, in words a clerk understands."""


class DomainError(Exception):
    """A command that the rules of petition work do not allow."""

    rule: str = "rule"

    def __init__(self, message: str, rule: str | None = None):
        super().__init__(message)
        if rule:
            self.rule = rule


class RuleViolation(DomainError):
    """The case is not in a state where this action is allowed."""


class WindowClosed(DomainError):
    """A time window that the law gives the petitioner has lapsed."""


class InvalidInput(DomainError):
    """A value that no rule could accept (e.g. zero visitors)."""
