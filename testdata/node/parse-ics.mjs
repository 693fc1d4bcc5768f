// Reads an iCalendar file on stdin with ical.js (a second, independent
// parser) and prints each VEVENT's fields and UTC instants as JSON.
import ICAL from 'ical.js';

let text = '';
for await (const chunk of process.stdin) text += chunk;
const comp = new ICAL.Component(ICAL.parse(text));
for (const tz of comp.getAllSubcomponents('vtimezone')) {
  ICAL.TimezoneService.register(new ICAL.Timezone(tz));
}
const events = comp.getAllSubcomponents('vevent').map((v) => {
  const e = new ICAL.Event(v);
  return {
    uid: e.uid,
    summary: e.summary,
    location: e.location,
    description: e.description,
    sequence: e.sequence,
    status: v.getFirstPropertyValue('status'),
    tzid: v.getFirstProperty('dtstart').getParameter('tzid') || null,
    start: e.startDate.toJSDate().toISOString(),
    end: e.endDate.toJSDate().toISOString(),
  };
});
console.log(JSON.stringify({ method: comp.getFirstPropertyValue('method'), events }));
