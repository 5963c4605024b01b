#!/usr/bin/env python3
"""Grows samples/activities.json into the demo set (deterministic): the hand-written
activities first, then generated ones over two years (2025–2026) across 15 posts and 40+
countries, with deliberate redundancies and shortfalls for the headquarters report; and
writes samples/priorities.json. Run: python3 scripts/generate-samples.py"""
import json, pathlib, random, uuid

root = pathlib.Path(__file__).resolve().parent.parent / "samples"
NS = uuid.UUID("6f1c2a9e-3b7d-4c52-9a18-0e5d7c4b2f61")
rng = random.Random(20261129)
existing = json.loads((root / "activities.json").read_text())
partners = json.loads((root / "partners.json").read_text())
by_country = {}
for p in partners:
    by_country.setdefault(p["country"], []).append(p["code"])

posts = {
    "LIMA": ["PE", "EC", "BO"], "SANTIAGO": ["CL", "AR", "UY"], "BOGOTA": ["CO", "EC", "VE"],
    "MEXICO-CITY": ["MX", "GT", "HN"], "PANAMA-CITY": ["PA", "CR", "DO", "GT"], "BRUSSELS": ["BE", "NL", "DE", "PL", "FR"],
    "NAIROBI": ["KE", "UG", "ET"], "DAR-ES-SALAAM": ["TZ", "KE", "MZ"], "ACCRA": ["GH", "NG", "SN", "CI"],
    "PRETORIA": ["ZA", "BW", "NA"], "AMMAN": ["JO", "EG", "SA", "IQ"], "KYIV": ["UA", "MD", "GE"],
    "MANILA": ["PH", "ID", "MY", "VN"], "BANGKOK": ["TH", "KH", "LA", "VN"], "SEOUL": ["KR", "JP", "MN"],
}
kinds = {"training": [1, 2], "capacity-building": [1, 2, 4], "joint-operation": [1], "information-sharing": [3],
         "agreement": [3, 4], "standards": [4, 2]}
titles = {
    "training": ["Container examination course", "Passenger targeting course", "Canine detection refresher",
                 "Document fraud detection", "Non-intrusive inspection image analysis", "Strategic trade controls course"],
    "capacity-building": ["Risk management unit advisory", "Single window support", "Port security assessment",
                          "Border crossing procedures review", "Post-clearance audit advisory"],
    "joint-operation": ["Counterfeit goods interdiction", "Narcotics interdiction at the port", "Wildlife trafficking operation",
                        "Precursor chemicals targeting"],
    "information-sharing": ["Seizure data exchange", "Risk indicators exchange", "Advance passenger information pilot"],
    "agreement": ["Customs mutual assistance agreement talks", "Memorandum of understanding on information exchange"],
    "standards": ["WCO working group session", "Trusted trader mutual recognition talks", "Data model project team"],
}
sensitive_kinds = {"joint-operation", "information-sharing"}

def day(d):
    return f"{d[0]:04d}-{d[1]:02d}-{d[2]:02d}"

def make(post, country, kind, partner_list, start_month_index, day_of_month, length, tag):
    year = 2025 + start_month_index // 12
    month = start_month_index % 12 + 1
    start = (year, month, day_of_month)
    end_day = min(28, day_of_month + length)
    status = "completed" if (year, month) < (2026, 10) else rng.choice(["planned", "planned", "cancelled"])
    goals = sorted(set(rng.sample(kinds[kind], k=min(len(kinds[kind]), rng.choice([1, 1, 2])))))
    title = rng.choice(titles[kind])
    return {
        "id": str(uuid.uuid5(NS, f"generated|{tag}")), "kind": kind, "title": title, "country": country,
        "location": None, "post": post, "partners": sorted(partner_list), "goals": goals,
        "startDate": day(start), "endDate": day((year, month, end_day)) if length else None, "status": status,
        "participants": rng.choice([None, 8, 12, 15, 20, 24, 30, 40]) if kind in ("training", "capacity-building") else None,
        "notes": "" if rng.random() < 0.6 else f"{title} with {partner_list[0]}; follow-up agreed.",
        "sensitivity": "sensitive" if kind in sensitive_kinds and rng.random() < 0.7 else "unclassified", "deleted": False,
    }

generated = []
n = 0
# Shortfall countries get few activities on purpose.
light = {"NG", "EG", "ID", "VN", "MZ"}
for post, countries in posts.items():
    for i in range(24):
        country = rng.choice(countries)
        if country in light and rng.random() < 0.8:
            country = countries[0]
        kind = rng.choice(list(kinds))
        partner_list = [rng.choice(by_country[country])] if country in by_country else [f"Customs administration of {country}"]
        if kind == "standards":
            partner_list = ["WCO"]
        generated.append(make(post, country, kind, partner_list, rng.randrange(0, 24), rng.randrange(1, 25), rng.choice([0, 2, 4, 9]), f"{post}-{i}"))
        n += 1

# Deliberate redundancies: the same partner and kind, from two posts, within weeks.
pairs = [("LIMA", "BOGOTA", "EC", "SENAE", "training", 14), ("NAIROBI", "DAR-ES-SALAAM", "KE", "KRA", "training", 20),
         ("MANILA", "BANGKOK", "VN", "GDVC", "capacity-building", 17), ("BRUSSELS", "SEOUL", "BE", "WCO", "standards", 8),
         ("AMMAN", "ACCRA", "EG", "ECA", "information-sharing", 3)]
for a, b, country, partner, kind, month in pairs:
    generated.append(make(a, country, kind, [partner], month, 3, 4, f"redundant-{a}-{partner}"))
    generated.append(make(b, country, kind, [partner], month, 18, 2, f"redundant-{b}-{partner}"))

generated_ids = {a["id"] for a in generated}
activities = [a for a in existing if a["id"] not in generated_ids] + generated
(root / "activities.json").write_text(json.dumps(activities, ensure_ascii=False, indent=2) + "\n")
print(f"{len(activities)} activities, {len({a['post'] for a in activities})} posts, "
      f"{len({a['country'] for a in activities})} countries, {min(a['startDate'] for a in activities)} to {max(a['startDate'] for a in activities)}")

priorities = {
    "weights": {"tradeVolume": 0.35, "travelVolume": 0.20, "threat": 0.30, "partnerCapacity": 0.15},
    "countries": [
        {"country": c, "factors": dict(zip(["tradeVolume", "travelVolume", "threat", "partnerCapacity"], f))}
        for c, f in [("MX", [10, 10, 9, 6]), ("CO", [6, 5, 9, 6]), ("PE", [5, 4, 8, 6]), ("PA", [7, 4, 7, 5]),
                     ("NG", [6, 3, 8, 9]), ("EG", [6, 5, 6, 7]), ("ID", [7, 4, 6, 7]), ("VN", [8, 4, 5, 6]),
                     ("KE", [4, 3, 6, 5]), ("TZ", [3, 2, 6, 6]), ("UA", [4, 3, 7, 6]), ("PH", [6, 5, 6, 6]),
                     ("JO", [3, 3, 6, 4]), ("MZ", [2, 1, 6, 8]), ("GT", [4, 3, 7, 7])]
    ],
}
(root / "priorities.json").write_text(json.dumps(priorities, indent=2) + "\n")
