"""Development tokens for orgs registered after start.

`caseflow dev token --role R --org ID` mints a token and appends it to
`<data_dir>/dev-tokens.txt` (`token=subject:role[:org]`, the tokens-file format); a server in
development mode reads that file again when it meets a token it does not know (and the file has
changed), so the new token works without a restart."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from uuid import UUID

from caseflow.infra.auth import Principal, TokenBook, parse_tokens
from caseflow.services.authz import Role

MINTED_FILE = "dev-tokens.txt"


def mint(
    data_dir: Path, role: Role, org_id: UUID | None, subject: str | None = None
) -> tuple[str, Principal]:
    """A new random token for `role` in `org_id`, appended to the minted-tokens file."""
    token = f"dev-{role.value}-{secrets.token_urlsafe(18)}"
    subject = subject or f"dev-{role.value}-{str(org_id)[:8] if org_id else 'any'}"
    entry = f"{token}={subject}:{role.value}" + (f":{org_id}" if org_id else "")
    parse_tokens([entry], "minted token")  # the subject must fit the format (no ':' or '=')
    path = Path(data_dir) / MINTED_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(entry + "\n")
    return token, Principal(subject, role, org_id)


class WithMinted:
    """A token book that, on a miss, looks in the minted-tokens file (re-read when changed)."""

    def __init__(self, book: TokenBook, data_dir: Path):
        self.book, self.path = book, Path(data_dir) / MINTED_FILE
        self._minted = TokenBook()
        self._seen: tuple[int, int] | None = None

    def lookup(self, token: str) -> Principal | None:
        found = self.book.lookup(token)
        if found is None:
            self._reload()
            found = self._minted.lookup(token)
        return found

    def _reload(self) -> None:
        try:
            stat = self.path.stat()
        except OSError:
            return
        if (stat.st_mtime_ns, stat.st_size) != self._seen:
            lines = self.path.read_text(encoding="utf-8").splitlines()
            self._minted = TokenBook(parse_tokens(lines, str(self.path)))
            self._seen = (stat.st_mtime_ns, stat.st_size)

    def __len__(self) -> int:
        return len(self.book) + len(self._minted)
