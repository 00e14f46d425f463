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
    """A request that is malformed or invalid in itself (e.g. fewer people than petitioners
    named), whatever the state of the case. `field` names the request field at fault (default:
    the tail of the rule, e.g. "received.headcount" → "headcount")."""

    def __init__(self, message: str, rule: str | None = None, field: str | None = None):
        super().__init__(message, rule)
        self.field = field or self.rule.rpartition(".")[2]
