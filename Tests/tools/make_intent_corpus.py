#!/usr/bin/env python3
"""Writes Tests/AgoraMediatorTests/Resources/intent-corpus.json: the committed corpus the
built-in matcher is measured on (docs/intents.md). Hand-written domains and phrasings, combined
deterministically (seeded) into 240 offer/request pairs with structured terms on most, plus
distractors: same-domain intents with conflicting terms, unrelated intents, and look-alikes of
the same kind. Re-running it reproduces the committed file byte for byte."""
import json, random, os

R = random.Random(20261122)

# domain: asset, item words for offers, item words for requests, offer details, request details, price base
DOMAINS = [
    ("gpu-hours", ["A100 GPU hours", "spare GPU compute", "CUDA capable GPU time", "H100 GPU cluster time"],
     ["GPU hours to fine-tune a model", "GPU compute for training", "graphics card time for CUDA jobs", "H100 GPU time"],
     ["on a rack in Frankfurt", "with 80GB memory", "idle overnight", "with fast NVMe scratch"],
     ["for a weekend training run", "to fine tune a 7B model", "for batch inference", "for a research deadline"], 40),
    ("translation", ["English to Spanish translation", "professional translation into Spanish", "Spanish translator services"],
     ["someone to translate a contract into Spanish", "Spanish translation of product docs", "translator for English to Spanish"],
     ["native speaker, legal experience", "fast turnaround", "certified translator"],
     ["about 5000 words", "legal wording", "for a website launch"], 60),
    ("storage-tb", ["cloud storage space", "spare disk storage", "SSD storage capacity"],
     ["backup storage space", "disk storage for archives", "storage capacity for backups"],
     ["replicated in two zones", "encrypted at rest", "cheap cold tier"],
     ["for nightly backups", "to archive old photos", "for a dataset mirror"], 10),
    ("bicycle", ["a road bike", "my old bicycle", "a city bike with basket"],
     ["a bicycle for commuting", "second hand road bike", "a bike to ride to work"],
     ["size 56, recently serviced", "light aluminium frame", "with lights and lock"],
     ["frame around size 56", "for daily commuting", "nothing fancy"], 150),
    ("apartment-nights", ["a flat in Lisbon for short stays", "apartment nights in the city centre", "my apartment while I travel"],
     ["a place to stay in Lisbon", "an apartment for a few nights", "short term flat rental in the centre"],
     ["two bedrooms, balcony", "close to the metro", "quiet street"],
     ["for a conference trip", "for two people", "near public transport"], 90),
    ("tutoring-hours", ["maths tutoring for high school", "physics lessons online", "calculus tutor sessions"],
     ["a maths tutor for my daughter", "help with calculus homework", "online physics teacher"],
     ["experienced teacher", "evenings available", "exam preparation"],
     ["before the exams", "twice a week", "online is fine"], 30),
    ("logo-design", ["logo design for startups", "brand and logo designer", "graphic design of logos"],
     ["a logo for my new company", "someone to design a brand logo", "designer for a simple logo"],
     ["three concepts included", "vector files delivered", "minimalist style"],
     ["modern and simple", "for a coffee shop", "need vector files"], 200),
    ("moving-van", ["a van and help moving house", "moving services with a truck", "removal van with two helpers"],
     ["help moving my furniture", "a truck to move house", "movers for a one bedroom flat"],
     ["weekends only", "includes packing boxes", "insured"],
     ["across town", "third floor no lift", "this saturday"], 120),
    ("web-dev-hours", ["Swift and iOS developer hours", "backend developer time in Go", "freelance web developer"],
     ["a developer to build a small website", "iOS developer for an app prototype", "backend programmer for an API"],
     ["ten years experience", "can start immediately", "remote"],
     ["for a prototype", "small budget", "needs an API and a database"], 70),
    ("electricity-kwh", ["surplus solar electricity", "spare energy from my solar panels", "green power from rooftop solar"],
     ["renewable electricity for my workshop", "solar power kWh for charging", "green energy supply"],
     ["during daytime", "via the local grid cooperative", "certified green"],
     ["for an electric car", "during working hours", "monthly contract"], 5),
    ("photography", ["wedding photography", "portrait photographer for events", "product photos for shops"],
     ["a photographer for our wedding", "product photography for an online store", "event photographer for a party"],
     ["full day coverage", "edited photos in a week", "own studio"],
     ["in June", "about 50 products", "evening event"], 300),
    ("cleaning-hours", ["house cleaning services", "office cleaning in the evening", "deep cleaning for move out"],
     ["a cleaner for my apartment", "weekly office cleaning", "end of tenancy cleaning"],
     ["eco friendly products", "reliable and insured", "weekly or biweekly"],
     ["every friday", "two bedroom flat", "before handing back keys"], 25),
    ("dataset-labels", ["image labeling for machine learning", "data annotation team", "bounding box labeling service"],
     ["annotators to label images", "labeled data for an ML model", "bounding boxes for a dataset"],
     ["quality checked twice", "large volumes", "fast turnaround"],
     ["about 10k images", "for object detection", "medical images"], 15),
    ("car-repair", ["car repair and servicing", "mechanic for engine repairs", "brake and tyre repair"],
     ["someone to fix my car brakes", "a mechanic to service my vehicle", "car engine repair"],
     ["certified garage", "mobile mechanic", "genuine parts"],
     ["makes a grinding noise", "annual service due", "urgent"], 180),
    ("legal-advice", ["contract review by a lawyer", "legal advice for startups", "attorney services for leases"],
     ["a lawyer to review my lease", "legal advice on a startup contract", "attorney to check an agreement"],
     ["fixed fee", "ten years at the bar", "fast response"],
     ["before signing", "shareholder agreement", "tenant dispute"], 250),
    ("smartphone", ["an iPhone 13 in good condition", "a used Android phone", "smartphone with charger"],
     ["a cheap smartphone", "second hand iPhone", "an Android phone for my kid"],
     ["unlocked", "battery at 90 percent", "with case"],
     ["unlocked please", "no scratches", "any colour"], 220),
    ("couch", ["a three seat sofa", "grey couch in good condition", "leather sofa"],
     ["a sofa for the living room", "second hand couch", "comfortable settee"],
     ["must pick up", "pet free home", "barely used"],
     ["can collect", "fits three people", "neutral colour"], 100),
    ("audit-review", ["smart contract security audit", "code review by a security auditor", "penetration testing and audit"],
     ["an auditor for my smart contract", "security review of our code", "someone to audit a WASM contract"],
     ["published reports", "formal methods", "quick start"],
     ["before mainnet launch", "about 2000 lines", "rust code"], 400),
    ("bandwidth-gb", ["spare bandwidth on a fast uplink", "transit bandwidth for CDN", "unmetered bandwidth in Amsterdam"],
     ["bandwidth for video streaming", "CDN transit capacity", "upload bandwidth for a mirror"],
     ["10 gbit port", "low latency", "peering in AMS-IX"],
     ["during evenings", "for a linux mirror", "europe only"], 3),
    ("garden-work", ["gardening and lawn mowing", "hedge trimming and garden care", "garden maintenance"],
     ["someone to mow my lawn", "garden help for hedges", "weekly garden maintenance"],
     ["own tools", "green waste removed", "experienced"],
     ["small back garden", "once a month", "overgrown hedges"], 35),
]

OFFER_OPEN = ["Offering", "I can provide", "Available:", "I have", "Selling", "Happy to offer", "For hire:", "Can do", "We provide"]
REQ_OPEN = ["Looking for", "I need", "Wanted:", "Seeking", "Need", "Searching for", "Request:", "Anyone with", "I want"]

UNRELATED_OFFERS = [
    "Free advice on growing tomatoes on a balcony", "Giving away a box of old magazines",
    "I can teach you three card tricks", "Spare tickets to a jazz concert on Sunday",
    "Homemade jam, strawberry and fig", "Knitting patterns for winter scarves",
    "Board game evenings at my place", "Old vinyl records from the seventies",
    "Sourdough starter to share", "A telescope for stargazing nights",
    "Tips on learning Japanese", "Seeds from my herb garden",
]
UNRELATED = [
    "Lost a black umbrella near the station", "Organising a chess club meetup next week",
    "Anyone know a good pizza place downtown", "Learning to play the violin, tips welcome",
    "Our football team needs a name", "Collecting old stamps from the 1950s",
    "Writing a novel about time travel", "Planning a hike in the Alps in August",
    "Volunteers for a beach clean-up", "Starting a book club about science fiction",
    "My cat likes to sleep on keyboards", "Looking back on a great conference",
]

def rng_range(base, k):
    # per-pair price band: disjoint across k within a domain
    lo = base * (k * 3 + 1)
    return lo, lo + base

def terms_for(asset, amount, price, with_asset=True, with_amount=True, with_price=True):
    parts = []
    if with_asset: parts.append(f"asset={asset}")
    if with_amount and amount: parts.append(f"amount={amount[0]}..{amount[1]}" if amount[0] != amount[1] else f"amount={amount[0]}")
    if with_price and price: parts.append(f"price={price[0]}..{price[1]}" if price[0] != price[1] else f"price={price[0]}")
    return " ".join(parts)

pairs, distractors = [], []
per_domain = {}
for n in range(240):
    d = DOMAINS[n % len(DOMAINS)]
    asset, oitems, ritems, odet, rdet, base = d
    k = per_domain.get(asset, 0); per_domain[asset] = k + 1
    plo, phi = rng_range(base, k)
    offer_price = (plo, phi)
    req_price = (plo + base // 3, phi + base)        # overlapping band
    # Quantities differ between the pairs of a domain (as real ones would): disjoint bands.
    amount = (10 * k + 1, 10 * k + 5)
    req_amount = (10 * k + 3, 10 * k + 8)
    style = n % 8  # vary how much structure is present
    o_text = f"{R.choice(OFFER_OPEN)} {R.choice(oitems)}, {R.choice(odet)}"
    r_text = f"{R.choice(REQ_OPEN)} {R.choice(ritems)} {R.choice(rdet)}"
    if style == 0:   # text only on the request side
        o_terms = terms_for(asset, amount, offer_price)
        r_terms = ""
    elif style == 1: # no price anywhere
        o_terms = terms_for(asset, amount, None, with_price=False)
        r_terms = terms_for(asset, req_amount, None, with_price=False)
    elif style == 2: # no asset on the request
        o_terms = terms_for(asset, amount, offer_price)
        r_terms = terms_for(asset, req_amount, req_price, with_asset=False)
    else:
        o_terms = terms_for(asset, amount, offer_price)
        r_terms = terms_for(asset, req_amount, req_price)
    pairs.append({"offer": {"text": o_text, "terms": o_terms}, "request": {"text": r_text, "terms": r_terms}})

# distractors: conflicting terms in the same domain, unrelated text, same-kind look-alikes
for n in range(90):
    d = DOMAINS[(n * 7) % len(DOMAINS)]
    asset, oitems, ritems, odet, rdet, base = d
    t = n % 3
    if t == 0:   # a request whose price is far below every offer of the domain
        distractors.append({"kind": "request", "text": f"{R.choice(REQ_OPEN)} {R.choice(ritems)}, tiny budget",
                            "terms": f"asset={asset} price=1..2"})
    elif t == 1: # an offer of a different asset using the same words
        other = DOMAINS[(n * 7 + 3) % len(DOMAINS)][0]
        distractors.append({"kind": "offer", "text": f"{R.choice(OFFER_OPEN)} {R.choice(oitems)} (bundle)",
                            "terms": f"asset={other}"})
    else:        # unrelated chatter of either kind (never the same text on both sides)
        if n % 2 == 0:
            distractors.append({"kind": "offer", "text": UNRELATED_OFFERS[(n // 6) % len(UNRELATED_OFFERS)], "terms": ""})
        else:
            distractors.append({"kind": "request", "text": UNRELATED[(n // 6) % len(UNRELATED)], "terms": ""})

out = {"description": "Offer/request pairs for the built-in matcher's precision/recall (docs/intents.md). Generated by Tests/tools/make_intent_corpus.py from hand-written phrasings.",
       "pairs": pairs, "distractors": distractors}
path = os.path.join(os.path.dirname(__file__), "..", "AgoraMediatorTests", "Resources", "intent-corpus.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write("\n")
print(len(pairs), "pairs", len(distractors), "distractors")
