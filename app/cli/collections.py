"""``atrium collections list|create|add|remove``: collections from the command line.

A thin layer over :mod:`app.domain.collections`, with the administrator's rights (the CLI sees
everything): ``create`` names the owner (``--owner``, an existing user). Members are asset or
collection ids or IRIs. Exit status 2 when a request cannot be met (the message says why).
"""

from __future__ import annotations

import argparse

from app.cli.status import EXIT_OK, UsageError, print_json
from app.domain.collections import CollectionError
from app.domain.people.access import ADMIN
from app.service import Atrium
from app.storage.graphstore import Scope


def collections(args: argparse.Namespace, atrium: Atrium) -> int:
    domain, everything = atrium.collections, Scope.everything()
    try:
        if args.action == "list":
            found = domain.list(everything, owner=args.owner)
            if args.json:
                print_json([c.as_json() for c in found])
            for c in found if not args.json else ():
                print(f"{c.id}  {c.visibility:<10} {c.owner:<20} {c.assets:>5}  {c.title}")
        elif args.action == "create":
            if atrium.users.get(args.owner) is None:
                raise UsageError(f"no user {args.owner!r}: add one with `atrium user add`")
            made = domain.create(
                ADMIN,
                args.title,
                args.description,
                args.visibility,
                args.department,
                owner=args.owner,
            )
            print(made)
        else:
            members = [domain.reference(m) for m in args.members]
            change = domain.add if args.action == "add" else domain.remove
            count = change(args.collection, ADMIN, everything, members)
            verb = "Added" if args.action == "add" else "Removed"
            print(f"{verb} {count} of {len(members)} member(s)")
    except CollectionError as error:
        raise UsageError(str(error)) from None
    return EXIT_OK
