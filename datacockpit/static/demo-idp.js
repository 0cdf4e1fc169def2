// Demo identity provider page: pick a sample person, get an ID token, hand it to the cockpit in
// the URL fragment (fragments are never sent to a server).
'use strict';

document.addEventListener('DOMContentLoaded', async () => {
  const select = document.getElementById('person');
  const response = await fetch('/cockpit/demo-idp/people');
  const { people } = await response.json();
  for (const person of people) {
    const option = document.createElement('option');
    option.value = String(person.index);
    option.textContent = person.name;
    select.append(option);
  }
  document.getElementById('login').addEventListener('submit', async (event) => {
    event.preventDefault();
    const result = await fetch('/cockpit/demo-idp/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Oncegate-Cockpit': '1' },
      body: `person=${encodeURIComponent(select.value)}`,
    });
    const body = await result.json();
    if (!result.ok) { document.getElementById('error').textContent = body.error; return; }
    location.assign(`/cockpit/#id_token=${body.id_token}`);
  });
});
