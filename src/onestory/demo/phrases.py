"""Phrase banks for the demo world: names, products and message fragments per language.

Messages are assembled from several fragments (opening, body, detail, closing) so that the
same journey never produces the same text twice in a row. Templates use ``str.format``
placeholders; unknown placeholders are never used, extra keyword arguments are ignored.
"""

from __future__ import annotations

# --- people -------------------------------------------------------------------------------

FIRST_NAMES: dict[str, list[str]] = {
    "GB": [
        "Oliver",
        "Amelia",
        "Harry",
        "Isla",
        "George",
        "Sophie",
        "Jack",
        "Chloe",
        "Priya",
        "Mohammed",
        "Aisha",
        "Callum",
        "Niamh",
        "Tom",
        "Grace",
        "Kwame",
        "Olga",
        "Wei",
    ],
    "US": [
        "James",
        "Emma",
        "Liam",
        "Olivia",
        "Noah",
        "Ava",
        "Mateo",
        "Camila",
        "Jamal",
        "Keisha",
        "Ethan",
        "Madison",
        "Hiroshi",
        "Linh",
        "Diego",
        "Hannah",
        "Tyler",
        "Zoe",
    ],
    "DE": [
        "Lukas",
        "Lena",
        "Jonas",
        "Mia",
        "Felix",
        "Hannah",
        "Paul",
        "Emilia",
        "Jürgen",
        "Sabine",
        "Mehmet",
        "Ayşe",
        "Katarzyna",
        "Dieter",
        "Anja",
        "Tobias",
    ],
    "FR": [
        "Lucas",
        "Chloé",
        "Hugo",
        "Léa",
        "Louis",
        "Manon",
        "Gabriel",
        "Inès",
        "Théo",
        "Camille",
        "Karim",
        "Yasmine",
        "Élodie",
        "François",
        "Margaux",
        "Antoine",
    ],
    "ES": [
        "Alejandro",
        "Lucía",
        "Pablo",
        "María",
        "Javier",
        "Sofía",
        "Sergio",
        "Carmen",
        "Álvaro",
        "Paula",
        "Iñigo",
        "Nuria",
        "José",
        "Marta",
        "Raúl",
        "Begoña",
    ],
    "NL": [
        "Daan",
        "Emma",
        "Sem",
        "Julia",
        "Bram",
        "Sanne",
        "Lars",
        "Fleur",
        "Thijs",
        "Noor",
        "Ruben",
        "Eva",
        "Sven",
        "Lotte",
    ],
    "IN": [
        "Aarav",
        "Ananya",
        "Vihaan",
        "Diya",
        "Arjun",
        "Saanvi",
        "Rohan",
        "Kavya",
        "Ishaan",
        "Meera",
        "Rahul",
        "Pooja",
        "Siddharth",
        "Lakshmi",
    ],
    "IE": ["Seán", "Aoife", "Conor", "Saoirse", "Cian", "Róisín", "Darragh", "Siobhán"],
    "IT": ["Marco", "Giulia", "Luca", "Chiara", "Matteo", "Francesca", "Davide", "Elena"],
}

LAST_NAMES: dict[str, list[str]] = {
    "GB": [
        "Smith",
        "Jones",
        "Taylor",
        "Brown",
        "Williams",
        "Patel",
        "Khan",
        "Evans",
        "Thomas",
        "Roberts",
        "Okafor",
        "Walker",
        "Wright",
        "Hughes",
        "Chen",
        "Murphy",
    ],
    "US": [
        "Johnson",
        "Garcia",
        "Miller",
        "Davis",
        "Rodriguez",
        "Martinez",
        "Washington",
        "Nguyen",
        "Kim",
        "Anderson",
        "Jackson",
        "Thompson",
        "Lopez",
        "Tanaka",
        "Baker",
    ],
    "DE": [
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
        "Wagner",
        "Becker",
        "Schulz",
        "Hoffmann",
        "Yılmaz",  # noqa: RUF001
        "Nowak",
        "Krüger",
        "Schäfer",
    ],
    "FR": [
        "Martin",
        "Bernard",
        "Dubois",
        "Thomas",
        "Robert",
        "Richard",
        "Petit",
        "Durand",
        "Leroy",
        "Moreau",
        "Benali",
        "Lefèvre",
        "Girard",
        "Fontaine",
    ],
    "ES": [
        "García",
        "Fernández",
        "González",
        "Rodríguez",
        "López",
        "Martínez",
        "Sánchez",
        "Pérez",
        "Gómez",
        "Martín",
        "Jiménez",
        "Ruiz",
        "Iglesias",
        "Ortega",
    ],
    "NL": [
        "de Jong",
        "Jansen",
        "de Vries",
        "van den Berg",
        "van Dijk",
        "Bakker",
        "Visser",
        "Smit",
        "Meijer",
        "de Boer",
        "Mulder",
        "Bos",
    ],
    "IN": [
        "Sharma",
        "Verma",
        "Gupta",
        "Iyer",
        "Reddy",
        "Nair",
        "Singh",
        "Kumar",
        "Mehta",
        "Banerjee",
        "Chatterjee",
        "Rao",
        "Joshi",
        "Pillai",
    ],
    "IE": ["Murphy", "Kelly", "O'Sullivan", "Walsh", "O'Brien", "Byrne", "Ryan", "Ó Briain"],
    "IT": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"],
}

# Country -> (weight, language a customer writes in most of the time, currency)
COUNTRIES: dict[str, tuple[int, str, str]] = {
    "GB": (26, "en", "GBP"),
    "US": (18, "en", "USD"),
    "DE": (14, "de", "EUR"),
    "FR": (11, "fr", "EUR"),
    "ES": (10, "es", "EUR"),
    "NL": (8, "en", "EUR"),
    "IN": (7, "en", "INR"),
    "IE": (4, "en", "EUR"),
    "IT": (2, "en", "EUR"),
}

EMAIL_DOMAINS = [
    "example.com",
    "example.org",
    "example.net",
    "mail.example.com",
    "post.example.net",
    "inbox.example.org",
]

AGENTS = [
    ("agt-001", "Maria K."),
    ("agt-002", "David O."),
    ("agt-003", "Sven L."),
    ("agt-004", "Fatima B."),
    ("agt-005", "Jonas W."),
    ("agt-006", "Claire D."),
    ("agt-007", "Rahul S."),
    ("agt-008", "Lucía M."),
    ("agt-009", "Tom H."),
    ("agt-010", "Amélie R."),
    ("bpo-101", "Grace A."),
    ("bpo-102", "Kevin T."),
]

TECHNICIANS = [
    "Mark Ellison",
    "Ahmed Saleh",
    "Petra Novak",
    "Luis Ortega",
    "Bernd Kaiser",
    "Sophie Marchand",
    "Ravi Menon",
    "Joanna Wiśniewska",
]

# --- product ------------------------------------------------------------------------------

# plan -> monthly price in the customer's currency unit (scaled per currency elsewhere)
PLANS: dict[str, float] = {"basic": 19.0, "plus": 29.0, "pro": 45.0, "family": 59.0}
PLAN_ORDER = ["basic", "plus", "pro", "family"]

PRODUCTS: list[tuple[str, str, float]] = [
    ("NH-RT6", "Nova router AX6", 129.0),
    ("NH-MX2", "Mesh extender (2-pack)", 149.0),
    ("NH-CAM", "Indoor camera", 59.0),
    ("NH-CAMO", "Outdoor camera", 99.0),
    ("NH-PLG", "Smart plug", 19.0),
    ("NH-THM", "Smart thermostat", 179.0),
    ("NH-DBL", "Video doorbell", 119.0),
    ("NH-HUB", "Home hub", 89.0),
    ("NH-SNS", "Door/window sensor", 25.0),
    ("NH-CBL", "Ethernet cable 5 m", 9.0),
]

DEVICES_BROKEN = {
    "en": ["router", "mesh extender", "doorbell", "thermostat", "home hub", "camera"],
    "de": ["Router", "Mesh-Repeater", "Türklingel", "Thermostat", "Home-Hub", "Kamera"],
    "fr": ["routeur", "répéteur", "sonnette", "thermostat", "hub", "caméra"],
    "es": ["router", "repetidor", "timbre", "termostato", "hub", "cámara"],
}

CARRIERS = ["DHL", "DPD", "UPS", "Royal Mail", "Colissimo", "Correos", "PostNL", "FedEx"]

APP_SCREENS = [
    "home",
    "devices",
    "usage",
    "billing",
    "invoices",
    "plans",
    "compare_plans",
    "settings",
    "help",
    "support_chat",
    "network_map",
    "speed_test",
    "cameras",
    "automations",
    "profile",
    "notifications",
]

FAIL_REASONS = [
    "card_declined",
    "insufficient_funds",
    "expired_card",
    "do_not_honor",
    "authentication_required",
    "processing_error",
    "lost_card",
]

# --- message fragments --------------------------------------------------------------------
# BANK[key][lang] -> templates. English banks are the richest; other languages have enough
# variants to avoid obvious repetition.

Bank = dict[str, dict[str, list[str]]]

GREET: dict[str, list[str]] = {
    "en": ["Hi", "Hello", "Hey", "Hi there", "Good morning", "Hello team", "Hiya", ""],
    "de": ["Hallo", "Guten Tag", "Moin", "Hallo zusammen", "Sehr geehrte Damen und Herren,"],
    "fr": ["Bonjour", "Salut", "Bonsoir", "Madame, Monsieur,"],
    "es": ["Hola", "Buenas", "Buenos días", "Hola equipo"],
}

THANKS: dict[str, list[str]] = {
    "en": ["Thanks", "Thank you", "Cheers", "Thanks in advance", "Regards", "thx", ""],
    "de": ["Danke", "Vielen Dank", "Mit freundlichen Grüßen", "Gruß", "Danke im Voraus"],
    "fr": ["Merci", "Merci d'avance", "Cordialement", "Bonne journée"],
    "es": ["Gracias", "Muchas gracias", "Un saludo", "Saludos"],
}

BANK: Bank = {
    # billing dispute ------------------------------------------------------------------
    "billing.first": {
        "en": [
            "my payment for invoice {invoice} was declined but my card is fine?",
            "I just got an email saying my payment of {amount} failed. What's going on?",
            "why did my direct debit fail, there is money on the account",
            "I've been charged twice this month for {amount}, please check",
            "your system says payment failed but my bank shows the {amount} went out",
            "got a 'payment failed' notice for {invoice}. I paid it. Sort it out please",
            "I think there's an error on my bill, {amount} taken twice",
        ],
        "de": [
            "meine Zahlung für die Rechnung {invoice} wurde abgelehnt, "
            "obwohl die Karte gedeckt ist.",
            "Sie haben mir {amount} doppelt abgebucht! Bitte sofort prüfen.",
            "Warum ist meine Lastschrift fehlgeschlagen? Auf dem Konto ist genug Geld.",
        ],
        "fr": [
            "mon paiement de {amount} a été refusé alors que ma carte fonctionne.",
            "vous m'avez prélevé deux fois {amount} ce mois-ci, pouvez-vous vérifier ?",
            "j'ai reçu un message « paiement échoué » pour la facture {invoice}, "
            "je ne comprends pas.",
        ],
        "es": [
            "mi pago de la factura {invoice} fue rechazado pero la tarjeta funciona bien.",
            "me habéis cobrado {amount} dos veces este mes, ¿qué ha pasado?",
            "¿por qué ha fallado el pago? Tengo saldo en la cuenta.",
        ],
    },
    "billing.ai_reply": {
        "en": [
            "I'm sorry about that. I can see invoice {invoice} for {amount}. I'm passing this "
            "to our billing team so they can check the charge.",
            "Thanks for flagging this. It looks like the bank returned the payment. I've opened "
            "a billing case and a specialist will follow up by email.",
            "I understand how annoying this is. I've logged the disputed charge of {amount} and "
            "a colleague from billing will contact you shortly.",
        ],
        "de": [
            "Das tut mir leid. Ich sehe die Rechnung {invoice} über {amount} und gebe den Fall an "
            "unser Billing-Team weiter. Sie erhalten eine E-Mail.",
        ],
        "fr": [
            "Je suis désolé pour ce désagrément. Je vois la facture {invoice} de {amount}, je "
            "transmets votre demande à notre service facturation.",
        ],
        "es": [
            "Lo siento mucho. Veo la factura {invoice} de {amount}; paso el caso a nuestro "
            "equipo de facturación y te escribirán por correo.",
        ],
    },
    "billing.email_followup": {
        "en": [
            "Following up on my chat yesterday about invoice {invoice}. I still see two "
            "charges of {amount} on my statement. Please refund one of them.",
            "I was told someone from billing would email me. Nobody has. I want the {amount} back.",
            "As discussed in the chat, attached is my bank statement showing the duplicate "
            "payment. Can you confirm the refund?",
            "I already told your chat assistant all of this. The charge of {amount} on "
            "{date} is wrong.",
        ],
        "de": [
            "wie im Chat besprochen: Die Abbuchung von {amount} am {date} ist doppelt. Ich "
            "erwarte eine Rückerstattung.",
            "ich habe das alles schon im Chat erklärt. Bitte erstatten Sie mir {amount}.",
        ],
        "fr": [
            "suite à mon échange sur le chat, je vois toujours deux prélèvements de {amount}. "
            "Merci de me rembourser.",
            "je l'ai déjà expliqué au chat : le prélèvement du {date} est une erreur.",
        ],
        "es": [
            "como comenté en el chat, sigo viendo dos cargos de {amount}. Quiero el reembolso.",
            "ya se lo expliqué a su asistente: el cargo del {date} es un error.",
        ],
    },
    "billing.promise": {
        "en": [
            "Thank you for your patience. I've checked invoice {invoice} and you're right, the "
            "payment was taken twice. I've issued a refund of {amount}, which will reach your "
            "account within 5 business days.",
            "I'm sorry for the trouble. The duplicate charge of {amount} has been reversed on "
            "our side; you should see the refund within 5 business days. I'll keep the case "
            "open until then.",
            "Apologies for the confusion. I have requested a refund of {amount} for invoice "
            "{invoice}. It normally arrives within 5 business days — I'll check back on {due}.",
        ],
        "de": [
            "vielen Dank für Ihre Geduld. Sie haben recht, {amount} wurden doppelt abgebucht. "
            "Die Erstattung erfolgt innerhalb von 5 Werktagen.",
        ],
        "fr": [
            "merci pour votre patience. Le double prélèvement de {amount} a été annulé ; le "
            "remboursement arrivera sous 5 jours ouvrés.",
        ],
        "es": [
            "gracias por su paciencia. Hemos anulado el cargo duplicado de {amount}; el "
            "reembolso llegará en un plazo de 5 días hábiles.",
        ],
    },
    "billing.chaser": {
        "en": [
            "It's been over a week and I STILL haven't got my refund. You promised 5 business "
            "days.",
            "I already told you twice: refund of {amount}. Where is it???",
            "still no refund. this is ridiculous",
            "Hello? You said 5 business days. It's been {n} days.",
        ],
        "de": ["Immer noch keine Erstattung. Sie hatten 5 Werktage versprochen!"],
        "fr": ["Toujours pas de remboursement. Vous aviez promis 5 jours ouvrés !"],
        "es": ["Sigo sin el reembolso. Me prometieron 5 días hábiles."],
    },
    "billing.thanks": {
        "en": [
            "Refund arrived, thanks.",
            "Got the money back, thank you 👍",
            "ok I can see the refund now. thanks for sorting",
        ],
        "de": ["Die Erstattung ist angekommen, danke."],
        "fr": ["Remboursement bien reçu, merci."],
        "es": ["Ya me ha llegado el reembolso, gracias."],
    },
    # delivery delay -------------------------------------------------------------------
    "delivery.sms": {
        "en": [
            "Where is my order {order}? It was supposed to come {date}",
            "my parcel hasnt arrived, tracking says delayed. when will it come",
            "order {order} - delayed again?? I took the day off for this",
            "hi is there any update on {order}",
        ],
        "de": ["Wo bleibt meine Bestellung {order}? Sie sollte am {date} kommen."],
        "fr": ["Où est ma commande {order} ? Elle devait arriver le {date}."],
        "es": ["¿Dónde está mi pedido {order}? Tenía que llegar el {date}."],
    },
    "delivery.sms_reply": {
        "en": [
            "Hi {first}, your order {order} is delayed at the carrier's depot. We're chasing "
            "{carrier} and will update you.",
            "Sorry {first}! {carrier} reports a delay on {order}. Reply CHAT to talk to us.",
        ],
        "de": [
            "Hallo {first}, Ihre Bestellung {order} verzögert sich bei {carrier}. Wir melden uns."
        ],
        "fr": [
            "Bonjour {first}, votre commande {order} a du retard chez {carrier}. "
            "Nous revenons vers vous."
        ],
        "es": [
            "Hola {first}, tu pedido {order} va con retraso en {carrier}. Te mantenemos informado."
        ],
    },
    "delivery.chat": {
        "en": [
            "I got an sms saying my order is delayed but no new date. I need the router before "
            "the weekend.",
            "Still waiting on {order}. I already told you on sms, I need a date.",
            "can someone tell me when {order} actually arrives?? second time asking",
            "The tracking for {order} hasn't moved in 3 days. Can you check with {carrier}?",
        ],
        "de": ["Ich habe schon per SMS gefragt: Wann kommt {order} denn nun?"],
        "fr": ["J'ai déjà demandé par SMS : quand est-ce que {order} arrive ?"],
        "es": ["Ya pregunté por SMS: ¿cuándo llega el pedido {order}?"],
    },
    "delivery.promise": {
        "en": [
            "I've checked with {carrier}: your order {order} will be delivered on {due}. I'll "
            "keep an eye on it for you.",
            "Sorry for the wait. The new delivery date for {order} is {due}. If it doesn't "
            "arrive by then we'll send a replacement by express at no cost.",
            "I've escalated this with {carrier}; they've confirmed delivery on {due}.",
        ],
        "de": ["Ich habe mit {carrier} gesprochen: {order} wird am {due} geliefert."],
        "fr": ["J'ai vérifié auprès de {carrier} : {order} sera livrée le {due}."],
        "es": ["He hablado con {carrier}: el pedido {order} se entregará el {due}."],
    },
    # broken device --------------------------------------------------------------------
    "device.chat": {
        "en": [
            "my {device} stopped working this morning, no lights at all",
            "The {device} keeps rebooting every few minutes. I've already unplugged it.",
            "{device} is dead. Tried the reset button, nothing.",
            "The {device} shows a red light and the app says it's offline",
            "no wifi since yesterday!! I work from home, this is urgent",
        ],
        "de": [
            "Mein {device} funktioniert seit heute Morgen nicht mehr, alle Lichter aus.",
            "Der {device} startet ständig neu. Neustart habe ich schon versucht.",
        ],
        "fr": [
            "Mon {device} ne marche plus depuis ce matin, aucun voyant.",
            "Le {device} redémarre sans arrêt, j'ai déjà essayé de le débrancher.",
        ],
        "es": [
            "Mi {device} ha dejado de funcionar esta mañana, no se enciende.",
            "El {device} se reinicia cada pocos minutos, ya lo he desenchufado.",
        ],
    },
    "device.ai_reply": {
        "en": [
            "Sorry to hear that. Could you try holding the reset button for 10 seconds and "
            "tell me what the light does?",
            "Let's try a few things: unplug the {device} for 30 seconds, then plug it back in. "
            "Does the light turn white?",
            "I can see the {device} went offline at {time}. Please check the power adapter is "
            "firmly connected.",
        ],
        "de": ["Das tut mir leid. Bitte halten Sie die Reset-Taste 10 Sekunden gedrückt."],
        "fr": ["Désolé. Pouvez-vous maintenir le bouton reset 10 secondes ?"],
        "es": ["Lo siento. ¿Puedes mantener pulsado el botón de reset 10 segundos?"],
    },
    "device.chat2": {
        "en": [
            "did that already, still nothing",
            "tried it twice. same red light.",
            "I already told you I reset it. Can I talk to a human please",
            "no change 😞",
        ],
        "de": ["Habe ich schon gemacht, keine Änderung."],
        "fr": ["Déjà fait, toujours rien."],
        "es": ["Ya lo hice, sigue igual."],
    },
    "device.ai_handoff": {
        "en": [
            "I'm connecting you with a technical specialist who will call you shortly.",
            "Thanks for trying. A technician from our team will give you a call.",
        ],
        "de": ["Ich verbinde Sie mit einem Techniker, der Sie gleich anruft."],
        "fr": ["Je vous mets en relation avec un technicien qui va vous appeler."],
        "es": ["Te paso con un técnico que te llamará en breve."],
    },
    "device.visit_promise": {
        "en": [
            "Your technician visit is booked for {due} between {start} and {end}. {tech} will "
            "bring a replacement {device}.",
            "Confirmation: engineer visit {due}, {start}-{end}. Please make sure someone is home.",
        ],
        "de": ["Ihr Technikertermin: {due}, zwischen {start} und {end} Uhr."],
        "fr": ["Votre rendez-vous technicien : le {due} entre {start} et {end}."],
        "es": ["Tu visita técnica: el {due} entre las {start} y las {end}."],
    },
    "device.missed": {
        "en": [
            "I waited ALL DAY and nobody came. I took a day off work for this!!",
            "The technician never showed up. Nobody called. Unbelievable.",
            "where was your engineer?? window was {start}-{end}, it's now evening 😡",
            "NO ONE CAME. THIS IS THE SECOND TIME I HAVE TO CHASE YOU",
        ],
        "de": ["Ich habe den ganzen Tag gewartet und niemand ist gekommen!"],
        "fr": ["J'ai attendu toute la journée et personne n'est venu !"],
        "es": ["He esperado todo el día y no ha venido nadie. Increíble."],
    },
    "device.missed_reply": {
        "en": [
            "I'm really sorry, {first}. The technician was delayed on a previous job. I've "
            "rebooked you as first appointment on {due} ({start}-{end}).",
            "Please accept our apologies. I've booked a priority visit on {due} between "
            "{start} and {end} and added a credit to your account.",
        ],
        "de": ["Das tut uns sehr leid. Neuer Termin mit Priorität: {due}, {start}-{end}."],
        "fr": ["Toutes nos excuses. Nouveau rendez-vous prioritaire : le {due}, {start}-{end}."],
        "es": ["Lo sentimos mucho. Nueva cita prioritaria: el {due}, {start}-{end}."],
    },
    # cancellation threat --------------------------------------------------------------
    "churn.angry": {
        "en": [
            "This is the third outage this month. I'm paying for {plan} and getting nothing. "
            "I want to cancel.",
            "I'M DONE. CANCEL MY CONTRACT.",
            "Honestly thinking about switching provider. Nobody ever calls back.",
            "your service has been terrible lately, give me one reason not to leave",
            "I already told you three times about the speed problem. If it isn't fixed this "
            "week I'm cancelling.",
            "how do i cancel. dont send me offers, just tell me how",
        ],
        "de": [
            "Ich möchte meinen Vertrag kündigen. Der Service ist eine Katastrophe.",
            "Dritter Ausfall diesen Monat. Ich kündige, wenn das so weitergeht!",
        ],
        "fr": [
            "Je veux résilier mon abonnement. Le service est catastrophique.",
            "Troisième panne ce mois-ci. J'en ai assez, je vais changer d'opérateur.",
        ],
        "es": [
            "Quiero darme de baja. El servicio es un desastre.",
            "Tercera caída este mes. Si no lo arregláis me voy a otra compañía.",
        ],
    },
    "churn.offer": {
        "en": [
            "I'm sorry we've let you down, {first}. Before you decide: I can offer you 50% off "
            "for the next 3 months while we fix the line.",
            "I understand. I'd like to keep you with us — how about moving to {lower} at the "
            "{plan} speed for the same price as {lower}?",
            "I've looked at your account. I can apply a {credit} credit and book a line check. "
            "Would that change your mind?",
        ],
        "de": ["Es tut mir leid. Ich kann Ihnen 3 Monate 50 % Rabatt anbieten."],
        "fr": ["Je suis désolé. Je peux vous proposer 50 % de réduction pendant 3 mois."],
        "es": ["Lo siento. Puedo ofrecerte un 50 % de descuento durante 3 meses."],
    },
    "churn.accept": {
        "en": [
            "ok fine, I'll give it one more chance",
            "Alright, the discount works for me.",
            "deal. but if it happens again I'm gone",
        ],
        "de": ["Na gut, ich nehme das Angebot an."],
        "fr": ["D'accord, j'accepte l'offre."],
        "es": ["Vale, acepto la oferta."],
    },
    "churn.downgrade": {
        "en": ["Just put me on the cheapest plan then.", "I'll downgrade to {lower}, that's it."],
        "de": ["Dann stellen Sie mich auf den günstigsten Tarif um."],
        "fr": ["Passez-moi à l'offre la moins chère alors."],
        "es": ["Pues cámbiame al plan más barato."],
    },
    "churn.leave": {
        "en": [
            "No thanks. Please process the cancellation.",
            "Too late. Cancel it.",
            "not interested, cancel please",
        ],
        "de": ["Nein danke. Bitte kündigen Sie."],
        "fr": ["Non merci. Veuillez résilier."],
        "es": ["No, gracias. Tramitad la baja."],
    },
    # upgrade question -----------------------------------------------------------------
    "upgrade.chat": {
        "en": [
            "What's the difference between {plan} and {higher}? Does {higher} include more "
            "cameras?",
            "thinking of upgrading to {higher}, would my price change straight away?",
            "Can I switch to {higher} mid-month? We just got 2 more devices at home 🙂",
            "does {higher} come with the mesh extender?",
        ],
        "de": ["Was ist der Unterschied zwischen {plan} und {higher}?"],
        "fr": ["Quelle est la différence entre {plan} et {higher} ?"],
        "es": ["¿Qué diferencia hay entre {plan} y {higher}?"],
    },
    "upgrade.reply": {
        "en": [
            "Great question! {higher} adds more devices, longer camera history and priority "
            "support. The change is pro-rated, so you only pay the difference for this month.",
            "You can switch any time from the app under Plans. {higher} is {price} a month.",
        ],
        "de": ["{higher} bietet mehr Geräte und Priorität beim Support, {price} pro Monat."],
        "fr": ["{higher} inclut plus d'appareils et un support prioritaire, {price} par mois."],
        "es": ["{higher} incluye más dispositivos y soporte prioritario, {price} al mes."],
    },
    "upgrade.ok": {
        "en": ["perfect, just did it in the app", "Thanks, upgrading now!", "great, done ✅"],
        "de": ["Super, habe gerade gewechselt."],
        "fr": ["Parfait, c'est fait."],
        "es": ["Perfecto, ya lo he cambiado."],
    },
    # simple questions (resolved by the AI agent) --------------------------------------
    # repeat contact: slow internet, three contacts over a week -------------------------
    "slow.first": {
        "en": [
            "wifi is really slow in the evenings, like 5 Mbps. paying for {plan}",
            "Speed test shows {mbps} Mbps, I'm supposed to get 300. What's wrong?",
            "Video calls keep freezing since last week. Is there a problem in my area?",
        ],
        "de": ["Das Internet ist abends extrem langsam, nur {mbps} Mbit/s."],
        "fr": ["Internet est très lent le soir, à peine {mbps} Mb/s."],
        "es": ["Internet va lentísimo por las noches, solo {mbps} Mbps."],
    },
    "slow.ai": {
        "en": [
            "Sorry about that! Try moving the router away from the TV and restarting it. "
            "If it's still slow tomorrow, let us know.",
            "I've run a quick check and your line looks fine. Could you test with a cable "
            "connected to the router?",
        ],
        "de": ["Bitte starten Sie den Router neu und testen Sie mit einem LAN-Kabel."],
        "fr": ["Redémarrez le routeur et faites un test avec un câble, s'il vous plaît."],
        "es": ["Reinicia el router y prueba con un cable, por favor."],
    },
    "slow.second": {
        "en": [
            "Still slow. I already told you yesterday, I restarted it and tested with a cable.",
            "same problem again tonight. I already told your chat bot everything",
            "This is the second time I'm writing about the speed. {mbps} Mbps. Again.",
        ],
        "de": ["Immer noch langsam. Ich habe Ihnen das schon gestern geschrieben!"],
        "fr": ["Toujours lent. Je vous l'ai déjà dit hier !"],
        "es": ["Sigue igual de lento. ¡Ya os lo dije ayer!"],
    },
    "slow.promise": {
        "en": [
            "I can see you've contacted us three times about this, I'm sorry. I've opened a "
            "line check with our network team; they'll report back by {due}.",
            "Thanks for your patience. Our network team found congestion on your street "
            "cabinet. It will be upgraded by {due} and I'll message you when it's done.",
        ],
        "de": ["Unser Netzwerkteam prüft Ihre Leitung; Rückmeldung bis {due}."],
        "fr": ["Notre équipe réseau vérifie votre ligne ; retour d'ici le {due}."],
        "es": ["Nuestro equipo de red revisa tu línea; te respondemos antes del {due}."],
    },
    "howto.q": {
        "en": [
            "how do I share camera access with my partner?",
            "Can I change the wifi password from the app?",
            "where do I find my invoices",
            "Is there a way to pause the internet for the kids at bedtime?",
            "How do I add a second smart plug?",
            "what's my contract end date",
        ],
        "de": ["Wie ändere ich das WLAN-Passwort in der App?", "Wo finde ich meine Rechnungen?"],
        "fr": [
            "Comment changer le mot de passe wifi depuis l'appli ?",
            "Où trouver mes factures ?",
        ],
        "es": ["¿Cómo cambio la contraseña del wifi desde la app?", "¿Dónde veo mis facturas?"],
    },
    "howto.a": {
        "en": [
            "You can do that in the app: Settings → {area}. Let me know if you need more help!",
            "Sure! Open the app, go to {area} and follow the steps. It takes about a minute.",
        ],
        "de": ["Das geht in der App unter Einstellungen → {area}."],
        "fr": ["Dans l'appli : Réglages → {area}."],
        "es": ["En la app: Ajustes → {area}."],
    },
    "howto.thanks": {
        "en": ["thanks!", "Got it, thank you", "perfect 👍", "ok"],
        "de": ["Danke!"],
        "fr": ["Merci !"],
        "es": ["¡Gracias!"],
    },
}

HOWTO_AREAS = [
    "Household",
    "Wi-Fi",
    "Billing → Invoices",
    "Devices → Add device",
    "Parental controls",
    "Account → Contract",
]

SUBJECTS: dict[str, dict[str, list[str]]] = {
    "billing": {
        "en": [
            "Duplicate charge on invoice {invoice}",
            "Payment problem",
            "Refund request",
            "Wrong amount taken",
            "Invoice {invoice}",
        ],
        "de": ["Doppelte Abbuchung {invoice}", "Rückerstattung"],
        "fr": ["Double prélèvement {invoice}", "Demande de remboursement"],
        "es": ["Cargo duplicado {invoice}", "Solicitud de reembolso"],
    },
    "churn": {
        "en": ["Cancellation", "Cancel my contract", "Complaint", "Service is unacceptable"],
        "de": ["Kündigung"],
        "fr": ["Résiliation"],
        "es": ["Baja del servicio"],
    },
}

# --- surveys, reviews, social -------------------------------------------------------------

SURVEY_COMMENTS: dict[str, dict[str, list[str]]] = {
    "positive": {
        "en": [
            "Quick and friendly, problem solved first time.",
            "Great app, setup took 5 minutes",
            "Love the new cameras!",
            "Agent was super helpful 😊",
            "no complaints",
            "Fast internet, never drops.",
            "Really easy to upgrade my plan.",
        ],
        "de": ["Schnell und freundlich, alles gelöst.", "Sehr zufrieden mit dem Router."],
        "fr": ["Rapide et efficace, merci !", "Très satisfait du service."],
        "es": ["Rápido y amable, todo resuelto.", "Muy contento con el servicio."],
    },
    "neutral": {
        "en": [
            "It's ok. A bit pricey.",
            "Works most of the time.",
            "Took a while to get through but fine in the end",
            "average",
        ],
        "de": ["Ganz ok, etwas teuer."],
        "fr": ["Correct, un peu cher."],
        "es": ["Está bien, algo caro."],
    },
    "negative": {
        "en": [
            "Had to explain my problem three times to three people.",
            "Billing is a mess, charged twice and waited weeks for a refund",
            "Technician didn't show up. Terrible.",
            "wifi drops every evening, fix it",
            "WORST SUPPORT EVER",
            "Too much effort to cancel anything, felt like a maze",
            "nobody calls back when they say they will",
        ],
        "de": ["Ich musste alles dreimal erklären.", "Techniker kam nicht. Schlecht."],
        "fr": ["J'ai dû tout répéter trois fois.", "Le technicien n'est jamais venu."],
        "es": ["Tuve que explicarlo todo tres veces.", "El técnico no vino. Fatal."],
    },
}

SURVEY_QUESTIONS = {
    "nps": "How likely are you to recommend NovaHome to a friend or colleague?",
    "csat": "How satisfied were you with the help you received?",
    "ces": "How easy was it to get your issue resolved?",
}

REVIEWS = {
    "positive": [
        "Solid router and the app is great. 5 stars.",
        "Installation was painless and support answered within minutes.",
        "Best provider I've had, cameras are crisp.",
    ],
    "negative": [
        "Charged twice and had to chase the refund for weeks.",
        "Technician no-show, twice. Avoid.",
        "Internet drops every night, support just reads a script.",
    ],
}

SOCIAL = {
    "positive": [
        "Shout out to @NovaHome support, fixed my wifi in 10 min 🙌",
        "new mesh extender from @NovaHome is 🔥",
    ],
    "negative": [
        "@NovaHome 3rd day without internet and still no engineer. #fail",
        "@NovaHome why do you charge me twice and then ignore my emails??",
        "waited all day for @NovaHome technician. nobody came. again.",
    ],
}
