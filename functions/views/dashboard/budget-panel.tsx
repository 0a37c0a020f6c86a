import type { Budget } from "../../schemas/money-reports.js";
import { micros, usd, utcTime } from "./format.js";

const COLORS = { spent: "#2f6fbf", reserved: "#e8a317", remaining: "#e4e8ec" };

/** The key's budget in its current period: a meter of spent and reserved against the limit, and the figures. */
export function BudgetPanel(props: { budget: Budget }) {
  const b = props.budget;
  const limit = micros(b.limit_usd);
  const spent = micros(b.spent_usd);
  const reserved = micros(b.reserved_usd);
  const share = (v: number) => (limit > 0 ? Math.min(100, (v / limit) * 100) : v > 0 ? 100 : 0);
  const spentPct = share(spent);
  const reservedPct = Math.min(100 - spentPct, share(reserved));
  const used = limit > 0 ? ((spent + reserved) / limit) * 100 : 0;
  return (
    <section class="card" id="budget">
      <h2>
        Budget <span class="muted">({b.period === "total" ? "for the key's lifetime" : `this ${b.period}, UTC`})</span>
      </h2>
      <dl class="totals">
        <div>
          <dt>Spent</dt>
          <dd data-field="spent_usd">{usd(b.spent_usd)}</dd>
        </div>
        <div>
          <dt>Reserved</dt>
          <dd data-field="reserved_usd">{usd(b.reserved_usd)}</dd>
        </div>
        <div>
          <dt>Limit</dt>
          <dd data-field="limit_usd">{usd(b.limit_usd)}</dd>
        </div>
        <div>
          <dt>Remaining</dt>
          <dd data-field="remaining_usd">{usd(b.remaining_usd)}</dd>
        </div>
      </dl>
      <svg
        class="meter"
        viewBox="0 0 100 6"
        preserveAspectRatio="none"
        role="img"
        aria-label={`${used.toFixed(1)}% of the limit used or reserved`}
      >
        <rect x="0" y="0" width="100" height="6" rx="1" fill={COLORS.remaining} />
        <rect x="0" y="0" width={spentPct.toFixed(3)} height="6" fill={COLORS.spent}>
          <title>{`spent ${usd(b.spent_usd)}`}</title>
        </rect>
        <rect x={spentPct.toFixed(3)} y="0" width={reservedPct.toFixed(3)} height="6" fill={COLORS.reserved}>
          <title>{`reserved ${usd(b.reserved_usd)}`}</title>
        </rect>
      </svg>
      <p class="muted legend">
        {used > 0 && used < 0.1 ? "under 0.1%" : `${used.toFixed(1)}%`} of the limit spent or reserved
        <span style={`background:${COLORS.spent}`} />
        spent
        <span style={`background:${COLORS.reserved}`} />
        reserved by running work
      </p>
      <p class="muted">
        Period <span data-field="period">{b.period}</span> from <span data-field="period_start">{utcTime(b.period_start)}</span>
        {b.period_end ? (
          <>
            {" "}
            to <span data-field="period_end">{utcTime(b.period_end)}</span>
          </>
        ) : (
          " (never resets)"
        )}
      </p>
      {b.hour ? (
        <p id="hour-window">
          This hour (from <span data-field="hour.period_start">{utcTime(b.hour.period_start)}</span>):{" "}
          <span data-field="hour.spent_usd">{usd(b.hour.spent_usd)}</span> spent and{" "}
          <span data-field="hour.reserved_usd">{usd(b.hour.reserved_usd)}</span> reserved of an hourly limit of{" "}
          <span data-field="hour.limit_usd">{usd(b.hour.limit_usd)}</span>;{" "}
          <span data-field="hour.remaining_usd">{usd(b.hour.remaining_usd)}</span> remaining
        </p>
      ) : null}
    </section>
  );
}
