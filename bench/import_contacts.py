"""Benchmark: import 100,000 contacts from a CSV, with validation and duplicate checks.

Run:  .venv/bin/python bench/import_contacts.py [--rows 100000] [--existing 10000]

Uses a fresh SQLite database in a temporary directory (or ``DATABASE_URL`` if set: then it must
point at a scratch database, whose customers tables it fills). Prints the time of the import
(read the file, clean and validate every row with the services' normalisers, find duplicates
against the organisation's existing contacts and inside the file, bulk-create in one
transaction with one audit row per contact) and, as the reference measured in the same run, the
time of a bare ``bulk_create`` of the same number of ready-made rows — and their ratio.
Target: the import of 100,000 contacts in at most 60 s on SQLite.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")
    if "DATABASE_URL" not in os.environ:
        os.environ["VINCULO_DATA_DIR"] = tempfile.mkdtemp(prefix="vinculo-bench-")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_csv(rows: int, existing_emails: list[str]) -> bytes:
    rng = random.Random(42)
    first = ["José", "Ana", "María", "Luis", "Carmen", "Jorge", "Lucía", "Pedro", "Elena", "Íñigo"]
    last = ["García", "Núñez", "López", "Martín", "Sánchez", "Pérez", "Gómez", "Ruiz", "Díaz"]
    lines = ["Nombre;Apellidos;Correo;Teléfono;Cargo;Etapa"]
    for i in range(rows):
        email = f"persona{i}@example.com"
        phone = f"6{i:08d}"
        if i % 100 == 1:
            email = f"persona{i - 1}@example.com"  # duplicate inside the file
        elif i % 100 == 2 and existing_emails:
            email = rng.choice(existing_emails)  # duplicate of an existing contact
        elif i % 100 == 3:
            email = f"persona{i}@"  # bad e-mail
        lines.append(f"{rng.choice(first)};{rng.choice(last)};{email};{phone[:3]} {phone[3:6]} "
                     f"{phone[6:]};Comercial;Prospect")
    return ("\n".join(lines) + "\n").encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=10_000)
    args = parser.parse_args()
    setup_django()

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection, transaction

    from vinculo.core.audit import acting_as
    from vinculo.core.models import AuditEntry, Organization
    from vinculo.core.services import user_create
    from vinculo.core.tenancy import organization_scope
    from vinculo.customers.imports import services as importing
    from vinculo.customers.models import Contact

    stamp = str(time.time_ns())
    org = Organization.objects.create(name=f"Bench {stamp}", country="ES")
    admin = user_create(organization=org, email=f"bench-{stamp}@example.com",
                        password="bench-Passw0rd!", role="admin")
    existing = [Contact(organization=org, first_name="Old", last_name=str(i),
                        full_name=f"Old {i}", email=f"old{i}@example.org",
                        phone=f"+3471{i:07d}") for i in range(args.existing)]
    Contact.all_objects.bulk_create(existing, batch_size=2000)
    data = make_csv(args.rows, [c.email for c in existing[:1000]])
    print(f"database: {connection.vendor}; file: {args.rows} rows, {len(data) / 1e6:.1f} MB; "
          f"existing contacts: {args.existing}")

    with organization_scope(org), acting_as(admin):
        job = importing.import_job_create(actor=admin, target="contact",
                                          file=SimpleUploadedFile("bench.csv", data),
                                          duplicate_mode="skip", dry_run=False)
        started, cpu = time.perf_counter(), time.process_time()
        job = importing.import_job_execute(job=job, actor=admin)
        import_seconds = time.perf_counter() - started
        import_cpu = time.process_time() - cpu
        audit_rows = AuditEntry.objects.filter(action="create",
                                               object_type="customers.contact").count()
    print(f"import: {import_seconds:.1f} s — created {job.created_count}, "
          f"skipped {job.skipped_count} duplicates, {len(job.errors)} errors, "
          f"{audit_rows} audit rows; {job.created_count / import_seconds:,.0f} rows/s; "
          f"CPU {import_cpu:.1f} s")

    # Reference: the same number of ready-made rows, bulk-created without any checks.
    reference_org = Organization.objects.create(name=f"Reference {stamp}", country="ES")
    rows = [Contact(organization=reference_org, first_name="Ana", last_name=str(i),
                    full_name=f"Ana {i}", email=f"persona{i}@example.com",
                    phone=f"+346{i:08d}", title="Comercial", owner=admin,
                    search_text=f"ana {i} persona{i}@example.com 346{i:08d}")
            for i in range(job.created_count)]
    started, cpu = time.perf_counter(), time.process_time()
    with transaction.atomic():
        for start in range(0, len(rows), 2000):
            Contact.all_objects.bulk_create(rows[start:start + 2000])
    reference_seconds = time.perf_counter() - started
    print(f"reference (bare bulk_create of {len(rows)} rows): {reference_seconds:.1f} s; "
          f"CPU {time.process_time() - cpu:.1f} s")
    print(f"ratio import / reference: {import_seconds / reference_seconds:.1f}x")
    target = 60 * args.rows / 100_000
    verdict = "OK" if import_seconds <= target else "TOO SLOW"
    print(f"target ≤ {target:.0f} s for {args.rows} rows: {verdict}")


if __name__ == "__main__":
    main()
