"""``atrium user add|list|set-role|set-password|disable|token``: users, roles and API tokens."""

from __future__ import annotations

import argparse
import secrets
import sys

from app.cli.status import EXIT_OK, UsageError
from app.domain.people.api_tokens import TokenError, iso_time, token_expiry, when
from app.domain.people.users import UserError, UserStore
from app.service import Atrium


def user(args: argparse.Namespace, atrium: Atrium) -> int:
    users = atrium.users
    try:
        if args.action == "add":
            given = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
            password = users.add(args.name, args.role, args.departments, given)
            print(f"Created {args.name} ({args.role})")
            if given is None:
                print(f"Password (shown once): {password}")
        elif args.action == "list":
            for each in users.all():
                state = " (disabled)" if each.disabled else ""
                print(f"{each.name:<24} {each.role:<12} {','.join(each.departments)}{state}")
        elif args.action == "set-role":
            changed = users.set_role(args.name, args.role, args.departments)
            print(f"{changed.name} is now {changed.role} ({','.join(changed.departments)})")
        elif args.action == "set-password":
            given = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
            password = given or secrets.token_urlsafe(15)
            users.set_password(args.name, password)
            print(f"New password for {args.name}" + ("" if given else f" (shown once): {password}"))
        elif args.action == "disable":
            users.disable(args.name)
            print(f"Disabled {args.name}: their sessions and tokens no longer work")
        else:
            _token(args, users)
    except UserError as error:
        raise UsageError(str(error)) from None
    return EXIT_OK


def _token(args: argparse.Namespace, users: UserStore) -> None:
    if args.revoke:
        users.revoke_token(args.revoke)
        print(f"Revoked token {args.revoke}")
    elif not args.name:
        raise UsageError("name the user whose tokens to issue or list")
    elif args.list:
        for token in users.tokens(args.name):
            print(
                f"{token.id}  {token.state:<8} created {when(token.created)}  "
                f"expires {when(token.expires)}  last used {when(token.last_used)}  {token.label}"
            )
    else:
        try:
            expires = token_expiry(args.expires)
        except TokenError as error:
            raise UsageError(str(error)) from None
        token_id, secret = users.issue_token(args.name, args.label, expires)
        print(
            f"Token {token_id} for {args.name}, expires {when(iso_time(expires))} "
            "(shown once; send as 'Authorization: Bearer …'):"
        )
        print(secret)
