"""The texts of invitations, reminders and thank-you messages, in the six UN languages.

They are django-post-office EmailTemplates, so staff edit them in the admin
(Post Office → Email templates): the default content is English, and each other
language is a translation of it. The same texts are printed on fax and postal letters.

Merge fields (Django template syntax):
  {{ state }}          the State's short name, in the message's language
  {{ state_formal }}   its formal name
  {{ addressee }}      who the letter is addressed to, e.g. "H.E. Mr. Jan Kowalski"
  {{ title }}          the questionnaire's title, in the message's language
  {{ reference }}      the questionnaire's reference (the mandate)
  {{ code }}           the questionnaire's code, e.g. HLD-2008
  {{ deadline }}       the deadline, written as the language writes dates
  {{ link }}           the State's personal reply link
  {% if is_representative %}...{% endif %}  the addressee is a (Deputy) Permanent
                       Representative ("Excellency")
  {% if is_copy %}...{% endif %}  the message is a copy for information, sent to
                       {{ copy_recipient }}

Re-running the migration never overwrites a text staff have edited: it only adds
what is missing.
"""

from django.db import migrations

DESCRIPTIONS = {
    "invitation": "Invitation to reply to a questionnaire (first wave). Merge fields: {{ state }}, "
                  "{{ addressee }}, {{ title }}, {{ reference }}, {{ code }}, {{ deadline }}, "
                  "{{ link }}; {% if is_representative %}, {% if is_copy %} with "
                  "{{ copy_recipient }}.",
    "reminder": "Reminder to States that have not replied. Same merge fields as the invitation.",
    "thank_you": "Thanks for a reply received. Same merge fields as the invitation.",
}

TEXTS = {
    # ------------------------------------------------------------------ English
    "en": {
        "invitation": (
            "{% if is_copy %}Copy for information: {% endif %}Questionnaire “{{ title }}”"
            "{% if deadline %} — reply requested by {{ deadline }}{% endif %}",
            """{% if is_copy %}COPY FOR INFORMATION — sent to {{ copy_recipient }}. The original is addressed to {{ addressee }}; no separate reply is expected from you.

{% endif %}{{ addressee }}
{{ state }}

{% if is_representative %}Excellency,{% else %}Dear Sir or Madam,{% endif %}

I have the honour to invite your Government to reply to the questionnaire “{{ title }}”{% if reference %} (reference: {{ reference }}){% endif %}.

The questionnaire can be completed online, in any of the six official languages of the United Nations, through the following personal link, which is reserved for your Government:

{{ link }}

A reply may be saved as a draft and completed later; a receipt is issued when it is submitted.{% if deadline %} I should be grateful to receive the reply of your Government by {{ deadline }}.{% endif %} The replies received will inform the report on this subject.

Kindly do not forward this message outside your administration: the link gives access to the reply of your Government.

{% if is_representative %}Please accept, Excellency, the assurances of my highest consideration.{% else %}Yours faithfully,{% endif %}

United Nations Secretariat
""",
        ),
        "reminder": (
            "{% if is_copy %}Copy for information: {% endif %}Reminder: questionnaire “{{ title }}”"
            "{% if deadline %} — reply requested by {{ deadline }}{% endif %}",
            """{% if is_copy %}COPY FOR INFORMATION — sent to {{ copy_recipient }}. The original is addressed to {{ addressee }}; no separate reply is expected from you.

{% endif %}{{ addressee }}
{{ state }}

{% if is_representative %}Excellency,{% else %}Dear Sir or Madam,{% endif %}

I have the honour to refer to the questionnaire “{{ title }}”{% if reference %} (reference: {{ reference }}){% endif %}, which was sent to your Government.

Our records show that the reply of your Government{% if deadline %}, requested by {{ deadline }},{% endif %} has not yet been received. I should be most grateful if your Government could complete the questionnaire online through its personal link:

{{ link }}

Should the reply have been sent in the meantime, please disregard this reminder, with our thanks. The Secretariat remains at your disposal for any question.

{% if is_representative %}Please accept, Excellency, the assurances of my highest consideration.{% else %}Yours faithfully,{% endif %}

United Nations Secretariat
""",
        ),
        "thank_you": (
            "{% if is_copy %}Copy for information: {% endif %}With thanks: reply to the "
            "questionnaire “{{ title }}”",
            """{% if is_copy %}COPY FOR INFORMATION — sent to {{ copy_recipient }}. The original is addressed to {{ addressee }}.

{% endif %}{{ addressee }}
{{ state }}

{% if is_representative %}Excellency,{% else %}Dear Sir or Madam,{% endif %}

I have the honour to acknowledge, with thanks, the reply of your Government to the questionnaire “{{ title }}”{% if reference %} (reference: {{ reference }}){% endif %}.

The information provided will be duly reflected in the report on this subject.

{% if is_representative %}Please accept, Excellency, the renewed assurances of my highest consideration.{% else %}Yours faithfully,{% endif %}

United Nations Secretariat
""",
        ),
    },
    # ------------------------------------------------------------------ French
    "fr": {
        "invitation": (
            "{% if is_copy %}Copie pour information : {% endif %}Questionnaire « {{ title }} »"
            "{% if deadline %} — réponse souhaitée d'ici au {{ deadline }}{% endif %}",
            """{% if is_copy %}COPIE POUR INFORMATION — adressée à {{ copy_recipient }}. L'original est adressé à {{ addressee }} ; aucune réponse distincte n'est attendue de votre part.

{% endif %}{{ addressee }}
{{ state }}

{% if is_representative %}Excellence,{% else %}Madame, Monsieur,{% endif %}

J'ai l'honneur d'inviter votre gouvernement à répondre au questionnaire « {{ title }} »{% if reference %} (référence : {{ reference }}){% endif %}.

Le questionnaire peut être rempli en ligne, dans l'une quelconque des six langues officielles de l'Organisation des Nations Unies, au moyen du lien personnel ci-après, réservé à votre gouvernement :

{{ link }}

La réponse peut être enregistrée comme brouillon et complétée ultérieurement ; un accusé de réception est délivré lors de sa soumission.{% if deadline %} Je vous saurais gré de bien vouloir faire parvenir la réponse de votre gouvernement d'ici au {{ deadline }}.{% endif %} Les réponses reçues serviront à l'établissement du rapport sur la question.

Je vous prie de ne pas transmettre ce message en dehors de votre administration : le lien donne accès à la réponse de votre gouvernement.

{% if is_representative %}Veuillez agréer, Excellence, les assurances de ma très haute considération.{% else %}Veuillez agréer, Madame, Monsieur, l'assurance de ma considération distinguée.{% endif %}

Secrétariat de l'Organisation des Nations Unies
""",
        ),
        "reminder": (
            "{% if is_copy %}Copie pour information : {% endif %}Rappel : questionnaire "
            "« {{ title }} »{% if deadline %} — réponse souhaitée d'ici au {{ deadline }}{% endif %}",
            """{% if is_copy %}COPIE POUR INFORMATION — adressée à {{ copy_recipient }}. L'original est adressé à {{ addressee }} ; aucune réponse distincte n'est attendue de votre part.

{% endif %}{{ addressee }}
{{ state }}

{% if is_representative %}Excellence,{% else %}Madame, Monsieur,{% endif %}

J'ai l'honneur de me référer au questionnaire « {{ title }} »{% if reference %} (référence : {{ reference }}){% endif %}, adressé à votre gouvernement.

Sauf erreur de notre part, la réponse de votre gouvernement{% if deadline %}, attendue d'ici au {{ deadline }},{% endif %} ne nous est pas encore parvenue. Je vous saurais gré de bien vouloir faire remplir le questionnaire en ligne au moyen du lien personnel de votre gouvernement :

{{ link }}

Si la réponse nous a été adressée entre-temps, je vous prie de ne pas tenir compte du présent rappel et vous en remercie. Le Secrétariat reste à votre disposition pour toute question.

{% if is_representative %}Veuillez agréer, Excellence, les assurances de ma très haute considération.{% else %}Veuillez agréer, Madame, Monsieur, l'assurance de ma considération distinguée.{% endif %}

Secrétariat de l'Organisation des Nations Unies
""",
        ),
        "thank_you": (
            "{% if is_copy %}Copie pour information : {% endif %}Remerciements : réponse au "
            "questionnaire « {{ title }} »",
            """{% if is_copy %}COPIE POUR INFORMATION — adressée à {{ copy_recipient }}. L'original est adressé à {{ addressee }}.

{% endif %}{{ addressee }}
{{ state }}

{% if is_representative %}Excellence,{% else %}Madame, Monsieur,{% endif %}

J'ai l'honneur d'accuser réception, avec mes remerciements, de la réponse de votre gouvernement au questionnaire « {{ title }} »{% if reference %} (référence : {{ reference }}){% endif %}.

Les informations communiquées seront dûment prises en compte dans le rapport sur la question.

{% if is_representative %}Je saisis cette occasion pour vous renouveler, Excellence, les assurances de ma très haute considération.{% else %}Veuillez agréer, Madame, Monsieur, l'assurance de ma considération distinguée.{% endif %}

Secrétariat de l'Organisation des Nations Unies
""",
        ),
    },
    # ------------------------------------------------------------------ Spanish
    "es": {
        "invitation": (
            "{% if is_copy %}Copia para información: {% endif %}Cuestionario «{{ title }}»"
            "{% if deadline %} — se ruega responder a más tardar el {{ deadline }}{% endif %}",
            """{% if is_copy %}COPIA PARA INFORMACIÓN — enviada a {{ copy_recipient }}. El original está dirigido a {{ addressee }}; no se espera de usted una respuesta separada.

{% endif %}{{ addressee }}
{{ state }}

{% if is_representative %}Excelencia:{% else %}Señora, señor:{% endif %}

Tengo el honor de invitar a su Gobierno a responder al cuestionario «{{ title }}»{% if reference %} (referencia: {{ reference }}){% endif %}.

El cuestionario puede completarse en línea, en cualquiera de los seis idiomas oficiales de las Naciones Unidas, mediante el siguiente enlace personal, reservado a su Gobierno:

{{ link }}

La respuesta puede guardarse como borrador y completarse más adelante; al enviarla se emite un acuse de recibo.{% if deadline %} Le agradecería que la respuesta de su Gobierno se recibiera a más tardar el {{ deadline }}.{% endif %} Las respuestas recibidas servirán de base para el informe sobre la cuestión.

Le ruego que no reenvíe este mensaje fuera de su administración, ya que el enlace da acceso a la respuesta de su Gobierno.

{% if is_representative %}Aprovecho la ocasión para reiterar a Vuestra Excelencia las seguridades de mi consideración más distinguida.{% else %}Atentamente,{% endif %}

Secretaría de las Naciones Unidas
""",
        ),
        "reminder": (
            "{% if is_copy %}Copia para información: {% endif %}Recordatorio: cuestionario "
            "«{{ title }}»{% if deadline %} — se ruega responder a más tardar el {{ deadline }}"
            "{% endif %}",
            """{% if is_copy %}COPIA PARA INFORMACIÓN — enviada a {{ copy_recipient }}. El original está dirigido a {{ addressee }}; no se espera de usted una respuesta separada.

{% endif %}{{ addressee }}
{{ state }}

{% if is_representative %}Excelencia:{% else %}Señora, señor:{% endif %}

Tengo el honor de referirme al cuestionario «{{ title }}»{% if reference %} (referencia: {{ reference }}){% endif %}, enviado a su Gobierno.

Según nuestros registros, aún no se ha recibido la respuesta de su Gobierno{% if deadline %}, solicitada a más tardar para el {{ deadline }}{% endif %}. Le agradecería mucho que su Gobierno completara el cuestionario en línea mediante su enlace personal:

{{ link }}

Si la respuesta ya se hubiera enviado, le ruego que no tenga en cuenta este recordatorio, y le doy las gracias. La Secretaría queda a su disposición para cualquier consulta.

{% if is_representative %}Aprovecho la ocasión para reiterar a Vuestra Excelencia las seguridades de mi consideración más distinguida.{% else %}Atentamente,{% endif %}

Secretaría de las Naciones Unidas
""",
        ),
        "thank_you": (
            "{% if is_copy %}Copia para información: {% endif %}Agradecimiento: respuesta al "
            "cuestionario «{{ title }}»",
            """{% if is_copy %}COPIA PARA INFORMACIÓN — enviada a {{ copy_recipient }}. El original está dirigido a {{ addressee }}.

{% endif %}{{ addressee }}
{{ state }}

{% if is_representative %}Excelencia:{% else %}Señora, señor:{% endif %}

Tengo el honor de acusar recibo, con agradecimiento, de la respuesta de su Gobierno al cuestionario «{{ title }}»{% if reference %} (referencia: {{ reference }}){% endif %}.

La información facilitada se reflejará debidamente en el informe sobre la cuestión.

{% if is_representative %}Aprovecho la ocasión para reiterar a Vuestra Excelencia las seguridades de mi consideración más distinguida.{% else %}Atentamente,{% endif %}

Secretaría de las Naciones Unidas
""",
        ),
    },
    # ------------------------------------------------------------------ Russian
    "ru": {
        "invitation": (
            "{% if is_copy %}Копия для сведения: {% endif %}Вопросник «{{ title }}»"
            "{% if deadline %} — просьба ответить не позднее {{ deadline }}{% endif %}",
            """{% if is_copy %}КОПИЯ ДЛЯ СВЕДЕНИЯ — направлена: {{ copy_recipient }}. Оригинал адресован: {{ addressee }}; отдельного ответа от Вас не требуется.

{% endif %}{{ addressee }}
{{ state }}

{% if is_representative %}Ваше Превосходительство!{% else %}Уважаемые дамы и господа!{% endif %}

Имею честь обратиться к Вашему правительству с просьбой ответить на вопросник «{{ title }}»{% if reference %} (основание: {{ reference }}){% endif %}.

Вопросник можно заполнить в режиме онлайн на любом из шести официальных языков Организации Объединенных Наций по следующей персональной ссылке, предназначенной для Вашего правительства:

{{ link }}

Ответ можно сохранить в виде черновика и завершить позднее; после представления ответа выдается подтверждение его получения.{% if deadline %} Секретариат будет признателен, если ответ Вашего правительства поступит не позднее {{ deadline }}{% endif %} Полученные ответы будут использованы при подготовке доклада по данному вопросу.

Просим не пересылать это сообщение за пределы Вашего ведомства: ссылка открывает доступ к ответу Вашего правительства.

{% if is_representative %}Примите, Ваше Превосходительство, уверения в моем самом высоком уважении.{% else %}С уважением,{% endif %}

Секретариат Организации Объединенных Наций
""",
        ),
        "reminder": (
            "{% if is_copy %}Копия для сведения: {% endif %}Напоминание: вопросник «{{ title }}»"
            "{% if deadline %} — просьба ответить не позднее {{ deadline }}{% endif %}",
            """{% if is_copy %}КОПИЯ ДЛЯ СВЕДЕНИЯ — направлена: {{ copy_recipient }}. Оригинал адресован: {{ addressee }}; отдельного ответа от Вас не требуется.

{% endif %}{{ addressee }}
{{ state }}

{% if is_representative %}Ваше Превосходительство!{% else %}Уважаемые дамы и господа!{% endif %}

Имею честь сослаться на вопросник «{{ title }}»{% if reference %} (основание: {{ reference }}){% endif %}, направленный Вашему правительству.

По нашим данным, ответ Вашего правительства{% if deadline %}, который просили представить не позднее {{ deadline }},{% endif %} пока не получен. Секретариат будет весьма признателен, если Ваше правительство заполнит вопросник в режиме онлайн по своей персональной ссылке:

{{ link }}

Если ответ уже был направлен, просим не принимать это напоминание во внимание и благодарим Вас. Секретариат готов ответить на любые вопросы.

{% if is_representative %}Примите, Ваше Превосходительство, уверения в моем самом высоком уважении.{% else %}С уважением,{% endif %}

Секретариат Организации Объединенных Наций
""",
        ),
        "thank_you": (
            "{% if is_copy %}Копия для сведения: {% endif %}С благодарностью: ответ на вопросник "
            "«{{ title }}»",
            """{% if is_copy %}КОПИЯ ДЛЯ СВЕДЕНИЯ — направлена: {{ copy_recipient }}. Оригинал адресован: {{ addressee }}.

{% endif %}{{ addressee }}
{{ state }}

{% if is_representative %}Ваше Превосходительство!{% else %}Уважаемые дамы и господа!{% endif %}

Имею честь с благодарностью подтвердить получение ответа Вашего правительства на вопросник «{{ title }}»{% if reference %} (основание: {{ reference }}){% endif %}.

Представленная информация будет должным образом отражена в докладе по данному вопросу.

{% if is_representative %}Пользуюсь случаем, чтобы возобновить Вашему Превосходительству уверения в моем самом высоком уважении.{% else %}С уважением,{% endif %}

Секретариат Организации Объединенных Наций
""",
        ),
    },
    # ------------------------------------------------------------------ Chinese
    "zh-hans": {
        "invitation": (
            "{% if is_copy %}抄送供参考：{% endif %}调查问卷《{{ title }}》"
            "{% if deadline %}——请于{{ deadline }}前答复{% endif %}",
            """{% if is_copy %}抄送供参考——本件抄送：{{ copy_recipient }}。原件收件人：{{ addressee }}；您无需另行答复。

{% endif %}{{ addressee }}
{{ state }}

{% if is_representative %}阁下：{% else %}先生/女士：{% endif %}

谨邀请贵国政府答复调查问卷《{{ title }}》{% if reference %}（依据：{{ reference }}）{% endif %}。

贵国政府可通过以下专用个人链接，以联合国六种正式语文中的任何一种在线填写问卷：

{{ link }}

答复可保存为草稿，稍后继续填写；提交后将出具收讫确认。{% if deadline %}敬请贵国政府于{{ deadline }}前提交答复。{% endif %}所收到的答复将为编写关于该议题的报告提供依据。

请勿将本邮件转发至贵国政府机关以外：该链接可访问贵国政府的答复。

{% if is_representative %}顺致最崇高的敬意。{% else %}此致
敬礼{% endif %}

联合国秘书处
""",
        ),
        "reminder": (
            "{% if is_copy %}抄送供参考：{% endif %}催复：调查问卷《{{ title }}》"
            "{% if deadline %}——请于{{ deadline }}前答复{% endif %}",
            """{% if is_copy %}抄送供参考——本件抄送：{{ copy_recipient }}。原件收件人：{{ addressee }}；您无需另行答复。

{% endif %}{{ addressee }}
{{ state }}

{% if is_representative %}阁下：{% else %}先生/女士：{% endif %}

谨提及已发送贵国政府的调查问卷《{{ title }}》{% if reference %}（依据：{{ reference }}）{% endif %}。

据我们记录，{% if deadline %}原请于{{ deadline }}前提交的{% endif %}贵国政府答复尚未收到。敬请贵国政府通过其专用个人链接在线填写问卷：

{{ link }}

如贵国政府已提交答复，请忽略本提醒，并谨致谢意。如有任何疑问，秘书处随时乐意提供协助。

{% if is_representative %}顺致最崇高的敬意。{% else %}此致
敬礼{% endif %}

联合国秘书处
""",
        ),
        "thank_you": (
            "{% if is_copy %}抄送供参考：{% endif %}感谢答复：调查问卷《{{ title }}》",
            """{% if is_copy %}抄送供参考——本件抄送：{{ copy_recipient }}。原件收件人：{{ addressee }}。

{% endif %}{{ addressee }}
{{ state }}

{% if is_representative %}阁下：{% else %}先生/女士：{% endif %}

谨确认已收到贵国政府对调查问卷《{{ title }}》{% if reference %}（依据：{{ reference }}）{% endif %}的答复，并表示衷心感谢。

所提供的资料将在关于该议题的报告中得到适当反映。

{% if is_representative %}顺致最崇高的敬意。{% else %}此致
敬礼{% endif %}

联合国秘书处
""",
        ),
    },
    # ------------------------------------------------------------------ Arabic
    "ar": {
        "invitation": (
            "{% if is_copy %}نسخة للعلم: {% endif %}الاستبيان «{{ title }}»"
            "{% if deadline %} — يُرجى الرد في موعد أقصاه {{ deadline }}{% endif %}",
            """{% if is_copy %}نسخة للعلم — مرسلة إلى: {{ copy_recipient }}. الأصل موجه إلى: {{ addressee }}؛ ولا يُنتظر منكم رد منفصل.

{% endif %}{{ addressee }}
{{ state }}

{% if is_representative %}صاحب السعادة،{% else %}تحية طيبة وبعد،{% endif %}

يشرفني أن أدعو حكومتكم الموقرة إلى الرد على الاستبيان «{{ title }}»{% if reference %} (المرجع: {{ reference }}){% endif %}.

ويمكن ملء الاستبيان إلكترونياً بأي لغة من اللغات الرسمية الست للأمم المتحدة، من خلال الرابط الشخصي التالي المخصص لحكومتكم:

{{ link }}

ويمكن حفظ الرد كمسودة واستكماله في وقت لاحق، ويصدر إشعار بالاستلام عند تقديمه.{% if deadline %} وستكون الأمانة العامة ممتنة لو تفضلت حكومتكم بإرسال ردها في موعد أقصاه {{ deadline }}.{% endif %} وستُستخدم الردود الواردة في إعداد التقرير المتعلق بهذه المسألة.

يُرجى عدم إعادة توجيه هذه الرسالة إلى خارج إدارتكم، إذ يتيح الرابط الوصول إلى رد حكومتكم.

{% if is_representative %}وتفضلوا، صاحب السعادة، بقبول فائق الاحترام والتقدير.{% else %}وتفضلوا بقبول فائق الاحترام.{% endif %}

الأمانة العامة للأمم المتحدة
""",
        ),
        "reminder": (
            "{% if is_copy %}نسخة للعلم: {% endif %}تذكير: الاستبيان «{{ title }}»"
            "{% if deadline %} — يُرجى الرد في موعد أقصاه {{ deadline }}{% endif %}",
            """{% if is_copy %}نسخة للعلم — مرسلة إلى: {{ copy_recipient }}. الأصل موجه إلى: {{ addressee }}؛ ولا يُنتظر منكم رد منفصل.

{% endif %}{{ addressee }}
{{ state }}

{% if is_representative %}صاحب السعادة،{% else %}تحية طيبة وبعد،{% endif %}

يشرفني أن أشير إلى الاستبيان «{{ title }}»{% if reference %} (المرجع: {{ reference }}){% endif %} الذي أُرسل إلى حكومتكم الموقرة.

وتفيد سجلاتنا بأن رد حكومتكم{% if deadline %}، المطلوب في موعد أقصاه {{ deadline }}،{% endif %} لم يرد بعد. وستكون الأمانة العامة ممتنة لو تفضلت حكومتكم بملء الاستبيان إلكترونياً من خلال رابطها الشخصي:

{{ link }}

وإذا كان الرد قد أُرسل في الأثناء، فيُرجى عدم الالتفات إلى هذا التذكير، مع خالص الشكر. والأمانة العامة على استعداد للإجابة عن أي استفسار.

{% if is_representative %}وتفضلوا، صاحب السعادة، بقبول فائق الاحترام والتقدير.{% else %}وتفضلوا بقبول فائق الاحترام.{% endif %}

الأمانة العامة للأمم المتحدة
""",
        ),
        "thank_you": (
            "{% if is_copy %}نسخة للعلم: {% endif %}مع الشكر: الرد على الاستبيان «{{ title }}»",
            """{% if is_copy %}نسخة للعلم — مرسلة إلى: {{ copy_recipient }}. الأصل موجه إلى: {{ addressee }}.

{% endif %}{{ addressee }}
{{ state }}

{% if is_representative %}صاحب السعادة،{% else %}تحية طيبة وبعد،{% endif %}

يشرفني أن أؤكد، مع الشكر، استلام رد حكومتكم الموقرة على الاستبيان «{{ title }}»{% if reference %} (المرجع: {{ reference }}){% endif %}.

وستنعكس المعلومات المقدمة على النحو الواجب في التقرير المتعلق بهذه المسألة.

{% if is_representative %}وأغتنم هذه الفرصة لأعرب لسعادتكم مجدداً عن فائق الاحترام والتقدير.{% else %}وتفضلوا بقبول فائق الاحترام.{% endif %}

الأمانة العامة للأمم المتحدة
""",
        ),
    },
}


def create_templates(apps, schema_editor):
    EmailTemplate = apps.get_model("post_office", "EmailTemplate")
    for name, description in DESCRIPTIONS.items():
        subject, content = TEXTS["en"][name]
        default, _created = EmailTemplate.objects.get_or_create(
            name=name, language="", default_template=None,
            defaults={"description": description, "subject": subject, "content": content})
        for language, texts in TEXTS.items():
            if language == "en":
                continue  # English is the default content
            subject, content = texts[name]
            EmailTemplate.objects.get_or_create(
                name=name, language=language, default_template=default,
                defaults={"subject": subject, "content": content})


def remove_templates(apps, schema_editor):
    EmailTemplate = apps.get_model("post_office", "EmailTemplate")
    EmailTemplate.objects.filter(name__in=list(DESCRIPTIONS)).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("post_office", "0014_alter_email_recipient_delivery_status_and_more"),
        ("surveys", "0002_questionnaires_and_distribution"),
    ]

    operations = [
        migrations.RunPython(create_templates, remove_templates),
    ]
