// icaljs-check.mjs: every feed through ical.js, Mozilla's iCalendar parser
// (Thunderbird's), installed by `make feeds` into tests/feeds/node_modules.
//
//   node icaljs-check.mjs FILE.ics...
//
// Prints one JSON line per file: what ical.js read (calendar name, and for
// each VEVENT or VTODO its UID, summary, date, status, sequence, alarms),
// so that run.py can compare it with what python3-icalendar read.  Any
// parse error, a byte sequence that is not UTF-8, or a VEVENT that is not
// all-day is an error: the script says which and exits 1.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

function dateOf(t) {
  if (!t || !t.isDate)
    throw new Error(`not an all-day DATE: ${t}`);
  return t.toString(); // YYYY-MM-DD
}

function check(path) {
  // fatal: a fold that split a UTF-8 sequence makes the bytes invalid.
  const text = new TextDecoder("utf-8", { fatal: true })
    .decode(readFileSync(path));
  const cal = new ICAL.Component(ICAL.parse(text));
  if (cal.name !== "vcalendar")
    throw new Error(`top component is ${cal.name}`);
  const out = {
    file: path,
    name: cal.getFirstPropertyValue("name"),
    calname: cal.getFirstPropertyValue("x-wr-calname"),
    items: [],
  };
  for (const c of cal.getAllSubcomponents()) {
    if (c.name === "vtimezone")
      continue;
    if (c.name !== "vevent" && c.name !== "vtodo")
      throw new Error(`unexpected component ${c.name}`);
    const item = {
      type: c.name,
      uid: c.getFirstPropertyValue("uid"),
      summary: c.getFirstPropertyValue("summary"),
      status: c.getFirstPropertyValue("status"),
      sequence: c.getFirstPropertyValue("sequence"),
      alarms: c.getAllSubcomponents("valarm").map(
        (a) => a.getFirstPropertyValue("trigger").toString()),
    };
    if (c.name === "vevent") {
      const ev = new ICAL.Event(c);
      item.date = dateOf(ev.startDate);
      const end = ev.endDate.clone();
      end.adjust(-1, 0, 0, 0);
      if (dateOf(ev.endDate) && end.compare(ev.startDate) !== 0)
        throw new Error(`${item.uid}: DTEND is not the day after DTSTART`);
    } else {
      item.date = dateOf(c.getFirstPropertyValue("due"));
    }
    if (!item.uid || !item.summary)
      throw new Error(`a ${c.name} without UID or SUMMARY`);
    out.items.push(item);
  }
  return out;
}

let failed = 0;
for (const path of process.argv.slice(2)) {
  try {
    console.log(JSON.stringify(check(path)));
  } catch (e) {
    failed++;
    console.log(JSON.stringify({ file: path, error: String(e && e.message || e) }));
  }
}
process.exit(failed ? 1 : 0);
