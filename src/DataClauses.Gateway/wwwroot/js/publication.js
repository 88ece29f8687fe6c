// The publish page (/publication/{dataset}): sends the chosen file as the body of one PUT (the browser streams it from
// disk; nothing is read into memory here), shows the upload's progress, then the refusal's errors line by line with a
// CSV report, or goes to "Nos jeux de données" once the version is published.
(function () {
  'use strict';
  var form = document.getElementById('formulaire-publication');
  if (!form) { return; }
  var progress = document.getElementById('progression');
  var bar = document.getElementById('barre-progression');
  var percent = document.getElementById('pourcentage');
  var step = document.getElementById('etape');
  var result = document.getElementById('resultat');
  var button = document.getElementById('publier');

  // A field's error under it (DSFR's error text), tied to the field by aria-describedby; removed once corrected.
  function fieldError(id, message) {
    var group = document.getElementById('groupe-' + id);
    var input = document.getElementById(id);
    var error = document.getElementById('erreur-' + id);
    if (error) { error.remove(); input.removeAttribute('aria-describedby'); }
    group.classList.toggle('fr-input-group--error', !!message && id === 'version');
    group.classList.toggle('fr-upload-group--error', !!message && id === 'fichier');
    if (message) {
      error = document.createElement('p');
      error.className = 'fr-error-text';
      error.id = 'erreur-' + id;
      error.textContent = message;
      group.appendChild(error);
      input.setAttribute('aria-describedby', error.id);
    }
    return !message;
  }

  function csvCell(text) { return '"' + String(text).replace(/"/g, '""') + '"'; }

  function showRefusal(answer) {
    result.replaceChildren(document.getElementById('modele-erreurs').content.cloneNode(true));
    document.getElementById('refus-titre').textContent = answer.title || 'La publication est refusée';
    var count = answer.errorCount || answer.errors.length;
    document.getElementById('refus-resume').textContent = count === 0
      ? 'Aucune donnée n’a été conservée.'
      : count + ' erreur(s)' + (answer.truncated ? ', les ' + answer.errors.length + ' premières listées' : '') + '. Aucune donnée n’a été conservée.';
    var list = document.getElementById('erreurs-publication');
    var lines = ['erreur'];
    answer.errors.forEach(function (text) {
      var item = document.createElement('li');
      item.textContent = text;
      list.appendChild(item);
      lines.push(csvCell(text));
    });
    var report = document.getElementById('rapport-erreurs');
    if (answer.errors.length === 0) { report.parentElement.remove(); return; }
    report.href = URL.createObjectURL(new Blob(['\ufeff' + lines.join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' }));
    document.getElementById('refus-publication').focus();
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var version = document.getElementById('version').value.trim();
    var file = document.getElementById('fichier').files[0];
    var ok = fieldError('version', version ? '' : 'Indiquez l’identifiant de la version (sa période de référence).');
    ok = fieldError('fichier', !file ? 'Choisissez le fichier CSV à publier.'
      : file.size > Number(form.dataset.maxBytes) ? 'Le fichier dépasse la taille maximale.' : '') && ok;
    if (!ok) { return; }

    var request = new XMLHttpRequest();
    var url = '/publication/' + encodeURIComponent(form.dataset.dataset) + '?handler=Televerser&version=' + encodeURIComponent(version);
    request.open('PUT', url);
    request.setRequestHeader('Content-Type', 'text/csv; charset=' + document.getElementById('encodage').value);
    request.setRequestHeader('RequestVerificationToken', form.querySelector('input[name="__RequestVerificationToken"]').value);
    request.setRequestHeader('Accept', 'application/json');
    request.upload.addEventListener('progress', function (e) {
      if (!e.lengthComputable) { return; }
      var value = Math.floor(e.loaded * 100 / e.total);
      bar.value = value;
      percent.textContent = value + ' %';
      if (e.loaded === e.total) { step.textContent = 'Fichier envoyé : vérification et enregistrement des lignes…'; }
    });
    request.addEventListener('load', function () {
      button.disabled = false;
      var answer;
      try { answer = JSON.parse(request.responseText); } catch (e) { answer = { ok: false, title: 'Réponse inattendue du serveur (' + request.status + ').', errors: [] }; }
      if (answer.ok) { window.location.assign(answer.redirect); return; }
      step.textContent = '';
      showRefusal(answer);
    });
    request.addEventListener('error', function () {
      button.disabled = false;
      showRefusal({ title: 'La connexion a été interrompue pendant l’envoi : rien n’a été publié, recommencez.', errors: [] });
    });
    result.replaceChildren();
    progress.hidden = false;
    bar.value = 0;
    percent.textContent = '0 %';
    step.textContent = 'Envoi du fichier…';
    button.disabled = true;
    request.send(file);
  });
}());
