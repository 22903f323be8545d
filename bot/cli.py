"""The ``paperbot`` command: review a change locally, audit a list, run the service."""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from bot import LOG_FORMAT
from bot import config as config_mod
from bot.errors import ConfigError, GitHubUnavailable, InputError, PaperbotError


def read_source(spec: str) -> str:
    """A file path, or ``REV:path`` read from the git repository in the current directory."""
    path = Path(spec)
    if path.is_file():
        data = path.read_bytes()
    elif ":" in spec and not path.exists():
        try:
            data = subprocess.run(
                ["git", "show", spec], check=True, capture_output=True, timeout=30
            ).stdout
        except FileNotFoundError:
            raise InputError(f"{spec}: git is not installed, cannot read a revision") from None
        except subprocess.CalledProcessError as exc:
            detail = exc.stderr.decode(errors="replace").strip().splitlines()
            raise InputError(f"{spec}: {detail[-1] if detail else 'git show failed'}") from None
    else:
        raise InputError(f"{spec}: no such file (or git REV:path)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{spec}: not UTF-8 text") from None


def _load_config(args: argparse.Namespace) -> config_mod.Config:
    toml = None
    if getattr(args, "config", None):
        try:
            toml = Path(args.config).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{args.config}: cannot read ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{args.config}: not UTF-8 text") from None
    return config_mod.load(criteria_toml=toml, criteria_source=getattr(args, "config", None) or "")


def cmd_review(args: argparse.Namespace) -> int:
    from bot.engine import render
    from bot.review import review
    from bot.service.post import marked

    cfg = _load_config(args)
    if args.offline:
        cfg = replace(cfg, net=replace(cfg.net, enabled=False))
    result = review(read_source(args.base), read_source(args.head), cfg)
    if args.format == "json":
        print(json.dumps(render.as_json(result, cfg.criteria), indent=2, ensure_ascii=False))
    else:
        print(marked(render.markdown(result, cfg.criteria)), end="")  # as the bot would post it
    return 1 if result.verdict == "request_changes" else 0


def cmd_audit(args: argparse.Namespace) -> int:
    from bot.net.links.audit import audit

    cfg = _load_config(args)
    if args.allow_private:
        cfg = replace(cfg, net=replace(cfg.net, allow_private=True))
    read_source(args.file)  # fail early and clearly on a missing or binary file
    return audit(args.file, cfg, sys.stdout, fmt=args.format)


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.wsgi import serve

    cfg = _load_config(args)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    serve(cfg).run(host=args.host, port=args.port)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from bot.service.worker import serve_forever

    serve_forever(_load_config(args))
    return 0


def cmd_review_pr(args: argparse.Namespace) -> int:
    if args.repo.count("/") != 1:
        raise InputError(f"{args.repo}: expected OWNER/REPO")
    from bot.service.job import run_review

    print(run_review(_load_config(args), args.repo, args.number, dry_run=args.dry_run))
    return 0


def cmd_action(args: argparse.Namespace) -> int:
    from bot.service.action import run_action

    code, done = run_action(_load_config(args))
    print(f"paperbot: {done}")
    return code


def cmd_report(args: argparse.Namespace) -> int:
    if args.repo.count("/") != 1:
        raise InputError(f"{args.repo}: expected OWNER/REPO")
    from bot.service.report import run_report

    cfg = _load_config(args)
    if args.allow_private:
        cfg = replace(cfg, net=replace(cfg.net, allow_private=True))
    print(run_report(cfg, args.repo, dry_run=args.dry_run))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paperbot", description="Review changes to a curated list of papers."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("review", help="review the change from BASE to HEAD")
    p.add_argument("base", metavar="BASE", help="file path or git REV:path")
    p.add_argument("head", metavar="HEAD", help="file path or git REV:path")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown")
    p.add_argument("--offline", action="store_true", help="skip link and citation checks")
    p.add_argument("--config", metavar="FILE", help="criteria TOML (like .github/paperbot.toml)")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("audit", help="check every link of a whole list")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", choices=("text", "jsonl"), default="text")
    p.add_argument("--config", metavar="FILE")
    p.add_argument(
        "--allow-private",
        action="store_true",
        help="also fetch loopback/private addresses (for local test webs only)",
    )
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("serve", help="run the webhook service (development server)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run the queue worker")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("review-pr", help="review one pull request now, as the bot would")
    p.add_argument("repo", metavar="OWNER/REPO")
    p.add_argument("number", type=int)
    p.add_argument("--dry-run", action="store_true", help="print what would be posted")
    p.set_defaults(func=cmd_review_pr)

    p = sub.add_parser("action", help="handle a GitHub Actions event (inside a workflow)")
    p.set_defaults(func=cmd_action)

    p = sub.add_parser("report", help='audit the list and update its "Link report" issue')
    p.add_argument("repo", metavar="OWNER/REPO")
    p.add_argument("--dry-run", action="store_true", help="print the issue, post nothing")
    p.add_argument(
        "--allow-private",
        action="store_true",
        help="also fetch loopback/private addresses (for local test webs only)",
    )
    p.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except GitHubUnavailable as exc:
        print(f"paperbot: GitHub is unavailable, try again later: {exc}", file=sys.stderr)
        return exc.exit_code
    except PaperbotError as exc:
        print(f"paperbot: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
