"""Plain-text invoices."""

from __future__ import annotations

from invoices.model import Invoice


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def render(invoice: Invoice) -> str:
    lines = [f"Invoice {invoice.number} for {invoice.customer}"]
    for line in invoice.lines:
        lines.append(f"{line.quantity:>3} x {line.description:<16}{money(line.cents):>10}")
    if invoice.discount_cents:
        lines.append(f"{'discount':<22}{'-' + money(invoice.discount_cents):>10}")
    lines.append(f"{'VAT ' + str(invoice.vat_percent) + '%':<22}{money(invoice.vat()):>10}")
    lines.append(f"{'TOTAL':<22}{money(invoice.calc()):>10}")
    return "\n".join(lines)
