"""``atrium user add|list|set-role|set-password|disable|token``: users, roles and API tokens."""

from __future__ import annotations

import argparse
import secrets
import sys

from app.cli.status import EXIT_OK, UsageError
from app.domain.people.api_tokens import TokenError, iso_time, token_expiry, when
from app.domain.people.users import UserError, UserStore
from app.service import Atrium


def add_arguments(user: argparse.ArgumentParser) -> None:
    actions = user.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="create a user and print their password once")
    add.add_argument("name")
    add.add_argument("--role", default="viewer", help="viewer, contributor, taxonomist or admin")
    add.add_argument("--department", action="append", default=[], dest="departments")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    actions.add_parser("list", help="list users, roles and departments")
    set_role = actions.add_parser("set-role", help="change a user's role (and departments)")
    set_role.add_argument("name")
    set_role.add_argument("role")
    set_role.add_argument("--department", action="append", dest="departments")
    set_password = actions.add_parser(
        "set-password", help="set a new password (from standard input, else generated)"
    )
    set_password.add_argument("name")
    set_password.add_argument("--password-stdin", action="store_true")
    disable = actions.add_parser("disable", help="disable a user: sessions and tokens stop")
    disable.add_argument("name")
    token = actions.add_parser("token", help="issue an API token (or --revoke ID, or --list)")
    token.add_argument("name", nargs="?")
    token.add_argument("--label", default="")
    token.add_argument(
        "--expires",
        default="",
        help="90d (days from now) or 2027-03-31 (its last day); default: never",
    )
    token.add_argument("--revoke", metavar="ID")
    token.add_argument("--list", action="store_true")


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
