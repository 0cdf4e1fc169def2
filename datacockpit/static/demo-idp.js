// Demo identity provider page: the authorization request's parameters go back with the form as
// hidden fields; the sample people fill the list.
'use strict';

document.addEventListener('DOMContentLoaded', async () => {
  const form = document.getElementById('login');
  const request = new URLSearchParams(location.search);
  for (const name of ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge',
    'code_challenge_method', 'acr_values']) {
    if (!request.has(name)) continue;
    const field = document.createElement('input');
    field.type = 'hidden';
    field.name = name;
    field.value = request.get(name);
    form.append(field);
  }
  const select = document.getElementById('person');
  const response = await fetch('/cockpit/demo-idp/people');
  const { people } = await response.json();
  for (const person of people) {
    const option = document.createElement('option');
    option.value = String(person.index);
    option.textContent = person.name;
    select.append(option);
  }
});
